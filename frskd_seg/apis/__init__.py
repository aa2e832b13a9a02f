from .export_student import (export_student, plain_student_config,
                             student_checkpoint)

__all__ = ['export_student', 'plain_student_config', 'student_checkpoint']

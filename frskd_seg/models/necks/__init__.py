from .self_teacher_neck import SelfTeacherNeck

__all__ = ['SelfTeacherNeck']

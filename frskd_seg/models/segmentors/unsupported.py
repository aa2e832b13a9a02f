"""The error a student that FRSKD cannot train is refused with, at build."""


class UnsupportedStudentError(NotImplementedError):
    """The student segmentor cannot be trained with FRSKD, for the reason
    the message gives (naming the head or segmentor and what to do). Raised
    while the model is built, never at the first training step."""

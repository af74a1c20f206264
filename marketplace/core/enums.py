"""Enums whose members carry a Chinese label for the UI."""

import enum


class LabeledEnum(str, enum.Enum):
    """`member.value` is the stable code stored and sent over the API; `member.label` is shown."""

    def __new__(cls, value, label):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self):
        return self.value

    @classmethod
    def choices(cls):
        from wtforms import SelectChoice

        return [SelectChoice(m.value, m.label) for m in cls]

    @classmethod
    def get(cls, value):
        try:
            return cls(value)
        except ValueError:
            return None

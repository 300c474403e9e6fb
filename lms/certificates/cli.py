"""Being written."""


def register(group) -> None:
    pass

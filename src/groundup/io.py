"""(to be written)"""


def save(obj, path, metadata=None):
    raise NotImplementedError


def load(path):
    raise NotImplementedError

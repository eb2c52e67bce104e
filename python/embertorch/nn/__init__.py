"""Neural network building blocks: Module, Parameter, layers, losses, functional, init."""

from . import functional, init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules.module import Module  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from . import utils  # noqa: F401

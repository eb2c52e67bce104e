"""Neural network building blocks: Module, Parameter, layers, losses, functional, init."""

from . import functional, init
from .modules import *
from .modules.module import Module
from .parameter import Buffer, Parameter
from . import utils

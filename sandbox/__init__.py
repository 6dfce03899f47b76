"""A Bitget v2-compatible exchange for loopback: tests, the demo and benchmarks (see docs/sandbox.md)."""

from sandbox.auth import Credentials
from sandbox.data import generate_stream_orders
from sandbox.profiles import Profile, load_profile
from sandbox.server import SandboxServer

__all__ = ["Credentials", "Profile", "SandboxServer", "generate_stream_orders", "load_profile"]

"""The fake HipChat server fixtures (``hipchat_fake``, ``hipchat_tls_fake``)."""

from tests.fakes.hipchat import hipchat_fake, hipchat_tls_fake

__all__ = ["hipchat_fake", "hipchat_tls_fake"]

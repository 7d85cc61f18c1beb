"""Which clients the TCP listener serves: TCP_ALLOWED_NETWORKS as CIDR networks."""

import pytest

from rules.ingest.tcp import LOOPBACK, _address_of, parse_networks


def allowed(peer, networks=LOOPBACK) -> bool:
    address = _address_of(peer)
    return address is not None and any(address in net for net in parse_networks(networks))


def test_loopback_is_served_by_default_and_nothing_else():
    assert allowed(("127.0.0.1", 5000))
    assert allowed(("127.1.2.3", 5000))
    assert allowed(("::1", 5000, 0, 0))
    assert not allowed(("10.0.0.7", 5000))
    assert not allowed(("2001:db8::1", 5000, 0, 0))


def test_an_ipv4_client_of_a_dual_stack_socket_is_matched_as_ipv4():
    assert allowed(("::ffff:10.1.2.3", 5000, 0, 0), ["10.0.0.0/8"])
    assert not allowed(("::ffff:192.168.1.1", 5000, 0, 0), ["10.0.0.0/8"])


def test_a_link_local_address_with_a_zone_is_read_without_it():
    assert allowed(("fe80::1%eth0", 5000, 0, 2), ["fe80::/10"])


def test_a_peer_that_is_not_an_address_is_refused():
    assert not allowed(None)
    assert not allowed("/run/socket")


def test_a_bad_network_is_named_at_start():
    with pytest.raises(ValueError, match=r"TCP_ALLOWED_NETWORKS: .*10\.0\.0\.0/33"):
        parse_networks(["127.0.0.0/8", "10.0.0.0/33"])

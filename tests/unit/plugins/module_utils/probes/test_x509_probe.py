# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The X.509 login probe's verdicts (issue 30 item 3): a refusal without the certificate (or with another one) counts
only when the login with the certificate got in; the real servers' answers are in docs/verification.md."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.clustersec.mysql.plugins.module_utils.probes import attacker_probes as AP

OK = {'outcome': 'ok'}
DENIED = {'outcome': 'denied', 'code': 1045}
ALERT = {'outcome': 'error', 'message': 'tlsv1 alert unknown ca', 'refused': True}
CLOSED = {'outcome': 'error', 'message': 'port closed', 'refused': None}


def _probe(monkeypatch, answers):
    seen = {}

    def attempt(host, port, user, cert, key, timeout):
        seen[cert] = user
        return answers[cert]
    monkeypatch.setattr(AP, '_x509_attempt', attempt)
    return AP.probe_x509_login('db1', 3306, AP.X509_PROBE_USER, 'probe.pem', 'probe-key.pem', 'other.pem', 'other-key.pem')


@pytest.mark.parametrize('answers, want', [
    ({None: DENIED, 'probe.pem': OK, 'other.pem': DENIED}, (True, True, True)),       # bound to the certificate
    ({None: OK, 'probe.pem': OK, 'other.pem': OK}, (True, False, False)),             # REQUIRE NONE: negative
    ({None: DENIED, 'probe.pem': OK, 'other.pem': OK}, (True, True, False)),          # REQUIRE X509: other accepted
    ({None: DENIED, 'probe.pem': OK, 'other.pem': ALERT}, (True, True, True)),        # another CA: TLS alert
    ({None: DENIED, 'probe.pem': DENIED, 'other.pem': DENIED}, (False, None, None)),  # account wrong: nothing proven
    ({None: CLOSED, 'probe.pem': CLOSED, 'other.pem': CLOSED}, (None, None, None)),   # server down: nothing proven
])
def test_verdicts(monkeypatch, answers, want):
    out = _probe(monkeypatch, answers)
    assert (out['accepted_with_cert'], out['refused_without_cert'], out['refused_other_cert']) == want

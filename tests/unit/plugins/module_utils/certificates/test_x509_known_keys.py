"""x509_node_certs loads the keys it wrote itself without the RSA consistency checks (its public key is still
compared with the certificate), and any key that is not byte-for-byte what it wrote with them."""
import json
import os
import stat

from cryptography.hazmat.primitives import serialization

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import node_certs, x509 as X
from ansible_collections.clustersec.mysql.plugins.modules import x509_ca, x509_node_certs

from .test_x509 import ca_params, issue, node_params


def _recording(monkeypatch):
    calls = []
    real = serialization.load_pem_private_key

    def load(data, password=None, **kw):
        calls.append(kw.get('unsafe_skip_rsa_key_validation', False))
        return real(data, password=password, **kw)

    monkeypatch.setattr(X.serialization, 'load_pem_private_key', load)
    return calls


def test_keys_written_by_the_module_skip_the_rsa_checks_and_others_do_not(tmp_path, monkeypatch):
    x509_ca.ensure_ca(ca_params(tmp_path, key_type='rsa'), False)
    p = node_params(tmp_path, key_type='rsa')
    issue(p)
    manifest = os.path.join(p['dest_dir'], node_certs.MANIFEST)
    assert stat.S_IMODE(os.stat(manifest).st_mode) == 0o600
    assert sorted(json.load(open(manifest))) == ['db1/client-key.pem', 'db1/server-key.pem',
                                                 'db2/client-key.pem', 'db2/server-key.pem']
    calls = _recording(monkeypatch)
    dummy, dummy2, work = x509_node_certs.plan(p)
    assert all(not w['reasons'] for w in work), [w['reasons'] for w in work]
    assert calls == [False] + [True] * 4, "CA key checked, the four node keys loaded without the checks"
    # Control: a key replaced behind the module's back (another valid key) is loaded with the checks and, since it
    # does not match the certificate, reissued.
    other = X.generate_key('rsa', 2048, None)
    X.write_atomic(os.path.join(p['dest_dir'], 'db2', 'server-key.pem'), X.key_pem(other), 0o600)
    del calls[:]
    dummy, dummy2, work = x509_node_certs.plan(p)
    reasons = dict(('%s/%s' % (w['node'], w['kind']), w['reasons']) for w in work)
    assert reasons['db2/server'] == ['key does not match certificate']
    assert calls == [False, True, True, False, True]

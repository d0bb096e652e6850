# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One lifecycle for a certificate set on the controller (issue 29): the pki role, the rotation and the recovery
issue, stage, promote and discard a set only here, from one settings dict (the pki role's, read once), so what a
rotation or a recovery issues cannot drift from what the role issues.

Layout of a set directory: ca.pem, ca-key.pem, client-ca.pem, client-ca-key.pem, nodes/<host>/{server,client}-
{cert,key}.pem, applications/<name>/{cert,key}.pem with applications/manifest.json (app_certs).
The staged set is <pki_dir>/next (with bundle.pem / client-bundle.pem, old+new CAs, and
previous-ca-probe/ when the CAs are new); promoting keeps the current set in <pki_dir>/previous and the previous
CAs' probe certificates in <pki_dir>/previous/probe (verify_encryption presents them)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import stat

from ansible_collections.clustersec.mysql.plugins.module_utils._common import safe_files
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import app_certs
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.ca import ensure_bundle, ensure_ca
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.node_certs import apply, plan
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import X509Error

STAGED = 'next'
PREVIOUS = 'previous'
PROBE = 'previous-ca-probe'
PROBE_NAME = 'previous-ca-probe'
SET_ENTRIES = ('ca.pem', 'ca-key.pem', 'client-ca.pem', 'client-ca-key.pem', 'nodes', app_certs.DIRECTORY)
PROBE_VALID_DAYS = 30

# The pki role's settings a set is issued with (roles/pki/vars/main.yml __pki_set_settings builds this dict).
SETTINGS_DEFAULTS = dict(
    ca_common_name='clustersec.mysql CA', client_ca_common_name='clustersec.mysql client CA', ca_subject={},
    ca_key_type='rsa', ca_key_size=3072, ca_curve='P-384', ca_valid_days=3650, ca_passphrase='',
    shared_ca=False, client_certs=True, key_type='rsa', key_size=2048, curve='P-256', valid_days=825,
    renew_before=30, extra_sans=[],
)


def settings_with_defaults(settings):
    out = dict(SETTINGS_DEFAULTS)
    out.update(dict((k, v) for k, v in (settings or {}).items() if v is not None))
    unknown = sorted(set(out) - set(SETTINGS_DEFAULTS))
    if unknown:
        raise X509Error('settings: unknown key(s) %s' % ', '.join(unknown))
    return out


def client_ca_separate(s):
    """The pki role's rule: a client CA of its own unless one CA serves both or no client certificates are made."""
    return not s['shared_ca'] and s['client_certs']


def ca_subject(s, name, common_name=None):
    """Subject of a new CA: its common name, then pki_ca_subject merged over it, as the pki role always did."""
    subject = {'common_name': common_name or s['ca_common_name' if name == 'ca' else 'client_ca_common_name']}
    subject.update(s['ca_subject'] or {})
    if common_name:
        subject['common_name'] = common_name
    return subject


def _ca_params(s, directory, name, subject, bundle_with=None, bundle_path=None):
    return dict(cert_path=os.path.join(directory, name + '.pem'), key_path=os.path.join(directory, name + '-key.pem'),
                passphrase=s['ca_passphrase'] or None, subject=subject, key_type=s['ca_key_type'],
                key_size=s['ca_key_size'], curve=s['ca_curve'], valid_days=s['ca_valid_days'],
                bundle_with=bundle_with or [], bundle_path=bundle_path)


def _node_params(s, directory, nodes, client_certs=None, valid_days=None, outlive_ca='refuse', renew_before=None):
    separate = client_ca_separate(s)
    return dict(ca_cert_path=os.path.join(directory, 'ca.pem'), ca_key_path=os.path.join(directory, 'ca-key.pem'),
                ca_passphrase=s['ca_passphrase'] or None,
                client_ca_cert_path=os.path.join(directory, 'client-ca.pem') if separate else None,
                client_ca_key_path=os.path.join(directory, 'client-ca-key.pem') if separate else None,
                client_ca_passphrase=(s['ca_passphrase'] or None) if separate else None,
                dest_dir=os.path.join(directory, 'nodes'), nodes=nodes, extra_sans=s['extra_sans'],
                client_certs=s['client_certs'] if client_certs is None else client_certs,
                valid_days=s['valid_days'] if valid_days is None else valid_days,
                renew_before=s['renew_before'] if renew_before is None else renew_before, outlive_ca=outlive_ca,
                key_type=s['key_type'], key_size=s['key_size'], curve=s['curve'])


def _lexists(path):
    return os.path.lexists(path)


def _refuse_links(*paths):
    for path in paths:
        if os.path.islink(path):
            raise X509Error('%s is a symbolic link; a certificate set is never written through one' % path)


def _ensure_dir(path, check_mode):
    _refuse_links(path)
    if os.path.isdir(path):
        return False
    if not check_mode:
        os.makedirs(path, 0o700)
    return True


def _issue_nodes(params, check_mode):
    ca_cert, ca_key, work = plan(params)
    nodes, diff = apply(params, ca_cert, ca_key, work, check_mode)
    return nodes, sorted(n for n, v in nodes.items() if v['changed']), diff


def _issue_applications(s, directory, applications, check_mode):
    """The application certificates of the set in directory (app_certs), signed by the set's client CA (the cluster CA
    where one CA serves both), with the node keys' settings."""
    name = 'client-ca' if client_ca_separate(s) else 'ca'
    return app_certs.ensure(directory, os.path.join(directory, name + '.pem'), os.path.join(directory, name + '-key.pem'),
                            s['ca_passphrase'], applications, key_type=s['key_type'], key_size=s['key_size'],
                            curve=s['curve'], valid_days=s['valid_days'], renew_before=s['renew_before'],
                            check_mode=check_mode)


def ensure_current(pki_dir, settings, nodes, check_mode=False, applications=None):
    """The pki role's main path: the CAs (created or adopted), every node's certificates and the application
    certificates (applications: [{name, subject}]) in pki_dir itself."""
    s = settings_with_defaults(settings)
    result = dict(changed=_ensure_dir(pki_dir, check_mode), cas={}, nodes={}, changed_nodes=[], ca_missing=False)
    for name in ['ca'] + (['client-ca'] if client_ca_separate(s) else []):
        cert, created, dummy = ensure_ca(_ca_params(s, pki_dir, name, ca_subject(s, name)), check_mode)
        result['cas'][name] = dict(created=created, subject=cert.subject.rfc4514_string())
        result['changed'] |= created
        result['ca_missing'] |= created and check_mode
    if result['ca_missing']:
        # --check before the first run: nothing can be signed by a CA that does not exist yet.
        return result
    if nodes:
        # No nodes: the application certificates alone (the pki role's entry point applications).
        issued = _issue_nodes(_node_params(s, pki_dir, nodes), check_mode)
        result['nodes'], result['changed_nodes'], result['diff'] = issued
    result['changed'] |= bool(result['changed_nodes'])
    if applications is None:
        # Not asked about them (the pki role's main path, in any play on this pki_dir): left as they are.
        result['applications'] = {}
        return result
    apps = _issue_applications(s, pki_dir, applications, check_mode)
    result['applications'] = apps['applications']
    result['changed'] |= apps['changed']
    return result


def _copy_ca(src_dir, dest_dir, name, check_mode):
    """Put the current CA (certificate and key, as stored: an encrypted key stays encrypted) in the staged set."""
    changed = False
    for base, mode in ((name + '.pem', 0o644), (name + '-key.pem', 0o600)):
        src, dest = os.path.join(src_dir, base), os.path.join(dest_dir, base)
        data = safe_files.read_file(src)
        if data is None:
            raise X509Error('%s is missing (or no regular file): the current set cannot sign the next one' % src)
        _refuse_links(dest)
        current = safe_files.read_file(dest) if os.path.exists(dest) else None
        if current == data:
            continue
        if current is not None and base.endswith('.pem') and not base.endswith('-key.pem'):
            raise X509Error('%s holds another CA than %s (a CA rotation that did not finish): finish it with a new '
                            'CA, or discard the staged set' % (dest, src))
        if not check_mode:
            X.write_atomic(dest, data, mode)
        changed = True
    return changed


def stage(pki_dir, settings, nodes, new_ca=False, ca_common_names=None, bundle=False, probe=False,
          check_mode=False, applications=None):
    """Issue a next set in pki_dir/next with the pki settings: new CAs (an already staged one is adopted; with
    bundle, old+new bundles beside them; with probe, certificates of the current CAs for the report and the
    rotation's last phase) or a copy of the current CAs, then every node's certificates. Resumable: what is already
    staged and still wanted stays. In check mode nothing is made (no key anywhere) and changed says whether a run
    would stage anything."""
    s = settings_with_defaults(settings)
    names = ca_common_names or {}
    staged = os.path.join(pki_dir, STAGED)
    _refuse_links(pki_dir)
    if not os.path.isdir(pki_dir) or not os.path.exists(os.path.join(pki_dir, 'ca.pem')):
        raise X509Error('%s holds no current set (ca.pem): run the pki role first' % pki_dir)
    result = dict(path=staged, new_ca=new_ca, cas={}, nodes={}, changed_nodes=[], probe=None)
    if check_mode:
        result['changed'] = not os.path.exists(os.path.join(staged, 'ca.pem')) or not os.path.isdir(
            os.path.join(staged, 'nodes'))
        return result
    result['changed'] = _ensure_dir(staged, False)
    ca_list = ['ca'] + (['client-ca'] if client_ca_separate(s) else [])
    for name in ca_list:
        if new_ca:
            bundle_path = os.path.join(staged, 'bundle.pem' if name == 'ca' else 'client-bundle.pem')
            params = _ca_params(s, staged, name, ca_subject(s, name, names.get(name)),
                                [os.path.join(pki_dir, name + '.pem')] if bundle else [], bundle_path if bundle else None)
            cert, created, dummy = ensure_ca(params, False)
            bundled = ensure_bundle(params, cert, False) if bundle else False
            result['cas'][name] = dict(created=created, subject=cert.subject.rfc4514_string())
            result['changed'] |= created or bundled
        else:
            result['changed'] |= _copy_ca(pki_dir, staged, name, False)
            result['cas'][name] = dict(created=False)
    if new_ca and probe:
        # What an attacker holding a previous CA's key could present: the rotation's last phase and the report must
        # see it refused. The previous CA may have less than PROBE_VALID_DAYS left (that is when it is rotated).
        probe_dir = os.path.join(staged, PROBE)
        _ensure_dir(probe_dir, False)
        probe_settings = dict(s, key_type='rsa', key_size=2048, curve='P-256', extra_sans=[])
        params = _node_params(probe_settings, pki_dir, [{'name': PROBE_NAME}], valid_days=PROBE_VALID_DAYS,
                              outlive_ca='cap', renew_before=0)
        params['dest_dir'] = probe_dir
        params['client_certs'] = True
        dummy, probe_changed, dummy2 = _issue_nodes(params, False)
        result['probe'] = os.path.join(probe_dir, PROBE_NAME)
        result['changed'] |= bool(probe_changed)
    result['nodes'], result['changed_nodes'], dummy = _issue_nodes(_node_params(s, staged, nodes), False)
    result['changed'] |= bool(result['changed_nodes'])
    # The application certificates of the next set, from its client CA: the rotation delivers them while every node
    # trusts the old and the new client CA (phase 2), so an application on either certificate keeps working.
    apps = _issue_applications(s, staged, applications, False)
    result['applications'] = apps['applications']
    result['changed'] |= apps['changed']
    return result


def _move(src, dest):
    _refuse_links(os.path.dirname(dest))
    os.rename(src, dest)


def promote(pki_dir, check_mode=False):
    """Make the staged set current: the current set moves to pki_dir/previous (replacing an older previous one),
    the staged previous-CA probe certificates to previous/probe, the staged entries into pki_dir, and the staged
    directory goes. Nothing staged (no next/ca.pem): nothing to do, so a re-run changes nothing."""
    staged = os.path.join(pki_dir, STAGED)
    previous = os.path.join(pki_dir, PREVIOUS)
    _refuse_links(pki_dir, staged, previous)
    if not os.path.exists(os.path.join(staged, 'ca.pem')):
        return dict(changed=False, moved=[])
    moved = [e for e in SET_ENTRIES if _lexists(os.path.join(staged, e))]
    if check_mode:
        return dict(changed=True, moved=moved)
    if _lexists(previous):
        shutil.rmtree(previous)
    os.mkdir(previous, 0o700)
    for entry in SET_ENTRIES:
        if _lexists(os.path.join(pki_dir, entry)):
            _move(os.path.join(pki_dir, entry), os.path.join(previous, entry))
    if os.path.isdir(os.path.join(staged, PROBE)):
        _move(os.path.join(staged, PROBE), os.path.join(previous, 'probe'))
    for entry in moved:
        _move(os.path.join(staged, entry), os.path.join(pki_dir, entry))
    shutil.rmtree(staged)
    return dict(changed=True, moved=moved)


def discard(pki_dir, check_mode=False):
    """Drop the staged set (never the current or the previous one)."""
    staged = os.path.join(pki_dir, STAGED)
    if not _lexists(staged):
        return dict(changed=False)
    if not check_mode:
        if stat.S_ISLNK(os.lstat(staged).st_mode):
            os.unlink(staged)
        else:
            shutil.rmtree(staged)
    return dict(changed=True)


# Where a staged set's files go on a node, by step. The node's client-ca.pem is what the pki role puts there: the
# client CA where there is one, else the cluster CA. A rotation's phase 3 also puts the previous CAs' probe
# certificates (root-only) on the node for phase 4 to present.
PROBE_NODE_DIR = '.previous-ca-probe'
STEPS = ('bundle', 'leaf', 'ca', 'all')


def node_files(step, node, shared_ca=False, client_certs=True, probe=False):
    """[{src (relative to the staged set), dest (relative to the node's certificate directory), secret}] of a step:
    bundle (old+new CAs), leaf (the node's certificates and keys), ca (the new CAs alone, and the probe files with
    probe), all (a recovery: the new CAs and the node's certificates at once)."""
    if step not in STEPS:
        raise ValueError('step must be one of %s, not %r' % (', '.join(STEPS), step))
    separate = client_ca_separate(dict(shared_ca=shared_ca, client_certs=client_certs))
    base = 'nodes/%s/' % node
    cas = []
    if step == 'bundle':
        cas = [('bundle.pem', 'ca.pem'), ('client-bundle.pem' if separate else 'bundle.pem', 'client-ca.pem')]
    elif step in ('ca', 'all'):
        cas = [('ca.pem', 'ca.pem'), ('client-ca.pem' if separate else 'ca.pem', 'client-ca.pem')]
    out = [dict(src=src, dest=dest, secret=False) for src, dest in cas]
    if step in ('leaf', 'all'):
        kinds = ['server'] + (['client'] if client_certs else [])
        for kind in kinds:
            out.append(dict(src=base + kind + '-cert.pem', dest=kind + '-cert.pem', secret=False))
            out.append(dict(src=base + kind + '-key.pem', dest=kind + '-key.pem', secret=True))
    if step == 'ca' and probe:
        for name in ('server-cert.pem', 'server-key.pem', 'client-cert.pem', 'client-key.pem'):
            out.append(dict(src='%s/%s/%s' % (PROBE, PROBE_NAME, name), dest='%s/%s' % (PROBE_NODE_DIR, name),
                            secret=True, mode=0o600))
    return out

# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application client certificates of a certificate set (issue 30): issued by the set's client CA, kept in
<set>/applications/<name>/{cert,key}.pem, listed with their subject and issuer in <set>/applications/manifest.json.

The subject and issuer are also given in the one-line form MariaDB and MySQL compare `REQUIRE SUBJECT` and
`REQUIRE ISSUER` with (OpenSSL's X509_NAME_oneline: '/C=FI/O=Example/CN=app1', in the certificate's order), so an
account is built from exactly what the server will print. A subject value may not hold '/', a quote, a backslash or
a control character: X509_NAME_oneline would print such a value escaped or ambiguously, and it goes into SQL."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os
import re

from ansible_collections.clustersec.mysql.plugins.module_utils.certificates import x509 as X
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_checks import key_matches, signed_by
from ansible_collections.clustersec.mysql.plugins.module_utils.certificates.x509_input import (
    MAX_CN, X509Error, validate_days, validate_key_spec, wanted_spec)

DIRECTORY = 'applications'
MANIFEST = 'manifest.json'
CERT = 'cert.pem'
KEY = 'key.pem'
# The report's X.509 login probe: issued like an application certificate, kept in pki_dir (roles/pki adds it).
PROBE_NAME = 'clustersec-probe-x509'

# Subject fields in the order a certificate carries them (and X509_NAME_oneline prints them), with OpenSSL's short
# names. Conventional order, country first, so '/C=../O=../CN=..' reads as operators write it.
FIELDS = (('country', 'C', 'COUNTRY_NAME'), ('state', 'ST', 'STATE_OR_PROVINCE_NAME'),
          ('locality', 'L', 'LOCALITY_NAME'), ('organization', 'O', 'ORGANIZATION_NAME'),
          ('organizational_unit', 'OU', 'ORGANIZATIONAL_UNIT_NAME'), ('common_name', 'CN', 'COMMON_NAME'))
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
_BAD_VALUE = re.compile(r"[/'\"\\\x00-\x1f\x7f]")


def normalise(apps):
    """[{name, subject: {common_name, ...}}] checked: names usable as directory names, unique; subjects with a
    common_name, known fields only, values the one-line form prints as given; no two certificates with one subject
    (an account naming the subject would accept both)."""
    out, names, subjects = [], set(), {}
    for index, app in enumerate(apps or []):
        name = app.get('name')
        if not name or not _NAME.match(str(name)):
            raise X509Error('applications[%d].name %r: use letters, digits, ".", "_" and "-", starting with a letter or '
                            'digit, at most 64 characters (it names a directory)' % (index, name))
        if name in names:
            raise X509Error('applications: duplicate name %r' % name)
        names.add(name)
        subject = dict(app.get('subject') or {})
        unknown = sorted(set(subject) - set(f for f, dummy, dummy2 in FIELDS))
        if unknown:
            raise X509Error('applications[%s].subject: unknown field(s) %s; use %s'
                            % (name, ', '.join(unknown), ', '.join(f for f, dummy, dummy2 in FIELDS)))
        if not subject.get('common_name'):
            raise X509Error('applications[%s].subject.common_name is required' % name)
        for field, value in subject.items():
            text = '' if value is None else str(value)
            if _BAD_VALUE.search(text):
                raise X509Error("applications[%s].subject.%s %r: '/', quotes, backslashes and control characters are "
                                "refused (the server's one-line subject would not show them as given)"
                                % (name, field, text))
            if field == 'country' and text and len(text) != 2:
                raise X509Error('applications[%s].subject.country %r must be a two-letter code' % (name, text))
            if len(text) > MAX_CN:
                raise X509Error('applications[%s].subject.%s has more than %d characters' % (name, field, MAX_CN))
        subject = dict((k, str(v)) for k, v in subject.items() if v not in (None, ''))
        line = subject_oneline(subject)
        if line in subjects:
            raise X509Error('applications[%s] and applications[%s] have the same subject %s'
                            % (subjects[line], name, line))
        subjects[line] = name
        out.append(dict(name=str(name), subject=subject))
    return out


def delivery_problems(entries, hosts, pki_dir):
    """What is wrong with the pki role's pki_application_certs ([{name, subject, dest: controller|<inventory host>,
    path, owner, group, mode}]), each message naming the entry: checked before anything is issued or written."""
    problems = []
    try:
        normalise([dict(name=e.get('name'), subject=e.get('subject')) for e in entries or []])
    except X509Error as exc:
        problems.append(str(exc))
    pki_real = os.path.realpath(pki_dir) if pki_dir else None
    for index, entry in enumerate(entries or []):
        label = 'pki_application_certs[%s]' % (entry.get('name') or index)
        if entry.get('name') == PROBE_NAME:
            problems.append('%s: the name %s is the report\'s probe certificate' % (label, PROBE_NAME))
        dest = entry.get('dest')
        if dest != 'controller' and dest not in (hosts or []):
            problems.append("%s.dest %r: 'controller' or a host of the inventory" % (label, dest))
        path = entry.get('path') or ''
        if not os.path.isabs(path) or '..' in path.split('/'):
            problems.append('%s.path %r: an absolute directory path without ..' % (label, path))
        elif dest == 'controller' and pki_real and (os.path.realpath(path) + '/').startswith(pki_real.rstrip('/') + '/'):
            problems.append('%s.path %s is inside pki_dir (%s): an application\'s copy goes elsewhere' % (label, path, pki_dir))
        mode = str(entry.get('mode') or '0600')
        if mode not in ('0600', '0400'):
            problems.append('%s.mode %r: 0600 or 0400 (the key is read by its owner only)' % (label, mode))
        if dest == 'controller' and (entry.get('owner') or entry.get('group')):
            problems.append('%s: owner and group are for a host; on the controller the files belong to the user '
                            'running Ansible (controller tasks never become root)' % label)
    return problems


def delivery_files(entry, set_dir):
    """node_files input (src on the controller) of one pki_application_certs entry: <path>/<name>-cert.pem and
    <path>/<name>-key.pem from set_dir's applications/<name>/."""
    out = []
    for kind, secret in (('cert', False), ('key', True)):
        item = dict(src=os.path.join(set_dir, DIRECTORY, entry['name'], '%s.pem' % kind),
                    dest=os.path.join(entry['path'], '%s-%s.pem' % (entry['name'], kind)),
                    mode=str(entry.get('mode') or '0600'), secret=secret)
        for key in ('owner', 'group'):
            if entry.get(key):
                item[key] = entry[key]
        out.append(item)
    return out


def set_input(entries, probe=True):
    """The x509_set applications input ([{name, subject}]) of pki_application_certs, with the report's probe
    certificate (PROBE_NAME, kept in pki_dir only) where probe is true."""
    out = [dict(name=e.get('name'), subject=e.get('subject')) for e in entries or []]
    if probe:
        out.append(dict(name=PROBE_NAME, subject=dict(common_name=PROBE_NAME)))
    return out


def subject_oneline(subject):
    """The one-line form of a subject dict (the order build_subject puts the fields in)."""
    return ''.join('/%s=%s' % (short, subject[field]) for field, short, dummy in FIELDS if subject.get(field))


def oneline(name):
    """OpenSSL's X509_NAME_oneline() of a cryptography Name, for the printable values this collection issues:
    '/<short name>=<value>' per attribute in the certificate's order (what MariaDB and MySQL compare REQUIRE SUBJECT
    and REQUIRE ISSUER with)."""
    shorts = dict((getattr(X.NameOID, oid), short) for dummy, short, oid in FIELDS)
    return ''.join('/%s=%s' % (shorts.get(attr.oid) or attr.oid.dotted_string, attr.value) for attr in name)


def build_subject(subject):
    return X.x509.Name([X.x509.NameAttribute(getattr(X.NameOID, oid), subject[field])
                        for field, dummy, oid in FIELDS if subject.get(field)])


def issue(ca_cert, ca_key, key, subject, valid_days):
    """A client-only leaf (clientAuth) for subject, cut to the CA's end; no SANs (the server checks the subject)."""
    validate_days('valid_days', valid_days)
    now = X.utcnow()
    is_rsa = isinstance(key, X.rsa.RSAPrivateKey)
    return (X.x509.CertificateBuilder()
            .subject_name(build_subject(subject)).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(X.x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(min(now + datetime.timedelta(days=valid_days), X.not_after(ca_cert)))
            .add_extension(X.x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(X.x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=is_rsa,
                                           data_encipherment=False, key_agreement=not is_rsa, key_cert_sign=False,
                                           crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(X.x509.ExtendedKeyUsage([X.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(X.x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(X.x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
            .sign(ca_key, X.hashes.SHA256()))


def reissue_reasons(cert, key, ca_cert, subject, spec, renew_before, now=None):
    """Why an application certificate must be issued again; [] keeps it."""
    if cert is None or key is None:
        return ['missing']
    now = now or X.utcnow()
    reasons = []
    if not key_matches(cert, key):
        reasons.append('key does not match certificate')
    if X.not_after(cert) - now < datetime.timedelta(days=renew_before):
        reasons.append('expires within %d days' % renew_before)
    if oneline(cert.subject) != subject_oneline(subject):
        reasons.append('subject changed')
    if X.key_spec(key) != spec:
        reasons.append('key type changed')
    if not signed_by(cert, ca_cert):
        reasons.append('not signed by the current client CA')
    return reasons


def _load(cert_path, key_path):
    if not (os.path.isfile(cert_path) and os.path.isfile(key_path)):
        return None, None
    try:
        return X.load_cert('cert', cert_path), X.load_key('key', key_path)
    except X509Error:
        return None, None


def ensure(set_dir, ca_cert_path, ca_key_path, passphrase, apps, key_type='rsa', key_size=2048, curve='P-256',
           valid_days=825, renew_before=30, check_mode=False):
    """Issue or keep every application certificate of the set in set_dir, signed by the client CA at ca_cert_path,
    and write the manifest. Returns {changed, applications: {name: {subject, issuer, cert_path, key_path, not_after,
    serial, reasons}}}; never a key."""
    apps = normalise(apps)
    validate_key_spec(key_type, key_size, curve)
    validate_days('valid_days', valid_days)
    base = os.path.join(set_dir, DIRECTORY)
    for path in (set_dir, base):
        if os.path.islink(path):
            raise X509Error('%s is a symbolic link; a certificate set is never written through one' % path)
    result = dict(changed=False, applications={})
    if not apps:
        if os.path.isdir(base) and not check_mode:
            _write_manifest(base, {})
        return result
    ca_cert = X.load_cert('client CA', ca_cert_path)
    ca_key = X.load_key('client CA key', ca_key_path, passphrase or None)
    spec = wanted_spec(key_type, key_size, curve)
    issuer = oneline(ca_cert.subject)
    manifest = {}
    for app in apps:
        directory = os.path.join(base, app['name'])
        cert_path, key_path = os.path.join(directory, CERT), os.path.join(directory, KEY)
        for path in (directory, cert_path, key_path):
            if os.path.islink(path):
                raise X509Error('%s is a symbolic link; a certificate set is never written through one' % path)
        cert, key = _load(cert_path, key_path)
        reasons = reissue_reasons(cert, key, ca_cert, app['subject'], spec, renew_before)
        if reasons:
            key = X.generate_key(key_type, key_size, curve)
            cert = issue(ca_cert, ca_key, key, app['subject'], valid_days)
            if not check_mode:
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o700)
                X.write_atomic(key_path, X.key_pem(key), 0o600)
                X.write_atomic(cert_path, X.cert_pem(cert), 0o600)
            result['changed'] = True
        entry = dict(subject=oneline(cert.subject), issuer=issuer, cert=os.path.join(DIRECTORY, app['name'], CERT),
                     key=os.path.join(DIRECTORY, app['name'], KEY), not_after=X.not_after(cert).strftime('%Y-%m-%dT%H:%M:%SZ'),
                     serial='%x' % cert.serial_number)
        manifest[app['name']] = entry
        result['applications'][app['name']] = dict(entry, cert_path=cert_path, key_path=key_path, reasons=reasons)
    if not check_mode:
        if not os.path.isdir(base):
            os.makedirs(base, 0o700)
        if read_manifest(set_dir) != manifest:
            _write_manifest(base, manifest)
            result['changed'] = True
    return result


def _write_manifest(base, manifest):
    X.write_atomic(os.path.join(base, MANIFEST), json.dumps(manifest, indent=1, sort_keys=True).encode() + b'\n', 0o644)


def read_manifest(set_dir):
    """{name: {subject, issuer, cert, key (relative to set_dir), not_after, serial}} of a set; {} without one."""
    try:
        with open(os.path.join(set_dir, DIRECTORY, MANIFEST)) as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}

"""A certificate set issued already expired: a cluster CA, a client CA and per node its node and client
certificates, each valid from 400 days ago until yesterday. Made with `cryptography` by the test; no clock is
changed anywhere and the collection's modules (which refuse to issue such certificates) are not involved."""
import datetime
import os
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERTS = "/etc/mysql/certs"


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key():
    # RSA as the pki role's default: galera's socket.ssl_reload keeps a certificate of another key type in the
    # context beside the new one (OpenSSL holds one per type) and may go on presenting it.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _window(start_days_ago, end_days_ago):
    now = datetime.datetime.now(datetime.timezone.utc)
    return now - datetime.timedelta(days=start_days_ago), now - datetime.timedelta(days=end_days_ago)


def make_ca(cn, start_days_ago=400, end_days_ago=1):
    key = _key()
    begin, end = _window(start_days_ago, end_days_ago)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(begin).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def issue(ca, ca_key, cn, dns, client_only=False, start_days_ago=399, end_days_ago=2):
    key = _key()
    begin, end = _window(start_days_ago, end_days_ago)
    eku = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([] if client_only else [ExtendedKeyUsageOID.SERVER_AUTH])
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(begin).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(eku), critical=False))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _load(ca_dir, name):
    with open(os.path.join(ca_dir, name + ".pem"), "rb") as fh:
        cert = x509.load_pem_x509_certificate(fh.read())
    with open(os.path.join(ca_dir, name + "-key.pem"), "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), None)
    return cert, key


def expired_set(names, label, ca_dir=None):
    """{'ca.pem': bytes, 'ca-key.pem': ..., 'client-ca.pem', 'client-ca-key.pem', 'nodes': {name: {file: bytes}}}.
    With ca_dir, the leaves are signed by the (valid) CAs found there and only they are expired."""
    if ca_dir:
        (ca, ca_key), (cca, cca_key) = _load(ca_dir, "ca"), _load(ca_dir, "client-ca")
    else:
        ca, ca_key = make_ca(f"expired cluster CA {label}")
        cca, cca_key = make_ca(f"expired client CA {label}")
    out = {"ca.pem": _pem(ca), "ca-key.pem": _pem_key(ca_key), "client-ca.pem": _pem(cca),
           "client-ca-key.pem": _pem_key(cca_key), "nodes": {}}
    for n in names:
        cert, key = issue(ca, ca_key, n, [n, "localhost"])
        ccert, ckey = issue(cca, cca_key, n + " client", [], client_only=True)
        out["nodes"][n] = {"server-cert.pem": _pem(cert), "server-key.pem": _pem_key(key),
                           "client-cert.pem": _pem(ccert), "client-key.pem": _pem_key(ckey)}
    return out


def write_controller(pki_dir, certs):
    """Make the expired set the controller's current one (what the nodes run), as after years of operation."""
    for f in ("ca.pem", "ca-key.pem", "client-ca.pem", "client-ca-key.pem"):
        with open(os.path.join(pki_dir, f), "wb") as fh:
            fh.write(certs[f])
        os.chmod(os.path.join(pki_dir, f), 0o600 if "key" in f else 0o644)
    for n, files in certs["nodes"].items():
        os.makedirs(os.path.join(pki_dir, "nodes", n), exist_ok=True)
        for f, data in files.items():
            with open(os.path.join(pki_dir, "nodes", n, f), "wb") as fh:
                fh.write(data)


def install_on_node(name, certs, reload=True):
    """Put the expired files in place on a node (same paths, owner and modes as the pki role's) and, when the
    server runs, make it read them: 3306 serves them at once, galera's new handshakes use them, sessions stay."""
    files = dict(certs["nodes"][name])
    files["ca.pem"], files["client-ca.pem"] = certs["ca.pem"], certs["client-ca.pem"]
    script = []
    for f, data in files.items():
        mode = "0640" if "key" in f else "0644"
        script.append(f"cat > {CERTS}/{f}.new <<'EOF'\n{data.decode()}EOF\n"
                      f"chown root:mysql {CERTS}/{f}.new && chmod {mode} {CERTS}/{f}.new && mv {CERTS}/{f}.new {CERTS}/{f}")
    if reload:
        script.append("mariadb --skip-ssl -e \"FLUSH SSL; SET GLOBAL wsrep_provider_options='socket.ssl_reload=1'\"")
    subprocess.run(["podman", "exec", "-i", name, "sh", "-e"], input="\n".join(script) + "\n", text=True,
                   check=True, capture_output=True)

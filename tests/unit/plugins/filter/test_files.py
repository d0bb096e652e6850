import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.clustersec.mysql.plugins.filter.files import with_content


def test_src_becomes_content_and_the_rest_is_kept(tmp_path):
    (tmp_path / 'ca.pem').write_text('-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n')
    specs = [{'src': str(tmp_path / 'ca.pem'), 'dest': '/etc/mysql/certs/ca.pem', 'mode': '0644', 'secret': False}]
    out = with_content(specs)
    assert out == [{'dest': '/etc/mysql/certs/ca.pem', 'mode': '0644', 'secret': False,
                    'content': '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n'}]
    assert 'content' not in specs[0], 'the input was changed'


def test_a_missing_file_names_itself(tmp_path):
    with pytest.raises(AnsibleFilterError, match='cannot read .*gone.pem'):
        with_content([{'src': str(tmp_path / 'gone.pem'), 'dest': '/x'}])


def test_a_binary_file_travels_base64_and_is_written_byte_for_byte(tmp_path):
    from ansible_collections.clustersec.mysql.plugins.module_utils._common import file_swap

    blob = b'Salted__' + bytes(range(256))
    (tmp_path / 'keys.enc').write_bytes(blob)
    out = with_content([{'src': str(tmp_path / 'keys.enc'), 'dest': str(tmp_path / 'node' / 'keys.enc'), 'mode': '0400'}])
    assert 'content' not in out[0] and 'content_base64' in out[0]
    assert file_swap.set_problems(out) == []
    assert file_swap.wanted(out[0]) == blob
    # one source only: a spec with both text and base64 content is refused
    assert file_swap.set_problems([dict(out[0], content='x')])


def test_cert_set_files_reads_the_staged_set_or_stands_in(tmp_path):
    from ansible_collections.clustersec.mysql.plugins.filter.files import cert_set_files
    node = tmp_path / 'nodes' / 'db1'
    node.mkdir(parents=True)
    for name in ('server-cert.pem', 'server-key.pem'):
        (node / name).write_text('PEM ' + name + '\n')
    got = cert_set_files('leaf', str(tmp_path), 'db1', '/etc/mysql/certs/', owner='root', group='mysql', client_certs=False)
    assert got == [{'dest': '/etc/mysql/certs/server-cert.pem', 'mode': '0644', 'owner': 'root', 'group': 'mysql',
                    'secret': False, 'content': 'PEM server-cert.pem\n'},
                   {'dest': '/etc/mysql/certs/server-key.pem', 'mode': '0640', 'owner': 'root', 'group': 'mysql',
                    'secret': True, 'content': 'PEM server-key.pem\n'}]
    check = cert_set_files('ca', str(tmp_path / 'missing'), 'db1', '/c', probe=True, placeholder=True)
    assert check[0]['content'] == '--check: not issued ca.pem\n' and check[-1]['mode'] == '0600'
    with pytest.raises(AnsibleFilterError):
        cert_set_files('leaf', str(tmp_path / 'missing'), 'db1', '/c')
    with pytest.raises(AnsibleFilterError):
        cert_set_files('nope', str(tmp_path), 'db1', '/c')


def test_node_file_specs_fill_in_the_node_side(tmp_path):
    from ansible_collections.clustersec.mysql.plugins.filter.files import node_file_specs
    (tmp_path / 'ca.pem').write_text('x')
    files = [{'src': str(tmp_path / 'ca.pem'), 'dest': 'ca.pem', 'mode': '0644', 'secret': False},
             {'src': str(tmp_path / 'k'), 'dest': 'at-rest/k', 'mode': '0400', 'secret': True, 'owner': 'mysql', 'group': 'mysql'}]
    assert node_file_specs(files, '/etc/mysql/certs', 'root', 'mysql') == [
        {'src': str(tmp_path / 'ca.pem'), 'dest': '/etc/mysql/certs/ca.pem', 'mode': '0644', 'owner': 'root', 'group': 'mysql',
         'secret': False},
        {'src': str(tmp_path / 'k'), 'dest': '/etc/mysql/certs/at-rest/k', 'mode': '0400', 'owner': 'mysql', 'group': 'mysql',
         'secret': True}]
    # --check before the first run: what is not made yet is left out.
    assert [f['dest'] for f in node_file_specs(files, '/c', check_mode=True)] == ['/c/ca.pem']
    with pytest.raises(AnsibleFilterError):
        node_file_specs('x', '/c')

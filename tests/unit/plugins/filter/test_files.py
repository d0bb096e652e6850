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

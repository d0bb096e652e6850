from ansible_collections.clustersec.mysql.plugins.module_utils.galera import rejoin as R

SST = ("WSREP: Running: 'wsrep_sst_mariabackup --role 'joiner' --address '10.89.0.2' --datadir '/var/lib/mysql/'\n"
       "WSREP: SST received\n")
IST = "WSREP: Prepared IST receiver for 100-120, listening at: ssl://10.89.0.2:4568\nWSREP: IST received: 6f1a:120\n"


def test_sst_ist_and_neither():
    assert R.rejoined_by(SST) == 'sst'
    assert R.rejoined_by(IST) == 'ist'
    assert R.rejoined_by('WSREP: Server status change joined -> synced\n') == 'none'
    assert R.rejoined_by('') == 'none'


def test_start_again_only_on_the_same_uuid_refusal():
    # galera-4 26.4.23 on a node restarted under load (seen in the galera_smoke scenario).
    log = ("WSREP: failed to open gcomm backend connection: 131: A node with the same UUID already exists in the "
           "cluster. Removing gvwstate.dat file, this node will generate a new UUID when restarted. (FATAL)\n")
    assert R.start_again(log)
    assert not R.start_again("WSREP: gcs connect failed: State not recoverable\n")
    assert not R.start_again(None)

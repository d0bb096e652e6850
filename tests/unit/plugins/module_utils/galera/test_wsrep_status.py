from ansible_collections.clustersec.mysql.plugins.module_utils.galera import wsrep_status as W

SYNCED = "wsrep_cluster_size\t3\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\tSynced\n"


class Clock:
    """A fake clock that advances only when the code under test sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def runner(*outputs):
    calls = []

    def run(argv):
        calls.append(argv)
        out = outputs[min(len(calls), len(outputs)) - 1]
        return (1, '', out[1]) if isinstance(out, tuple) else (0, out, '')
    return run, calls


def test_parse_and_synced():
    status = W.parse(SYNCED)
    assert status == {'wsrep_cluster_size': '3', 'wsrep_cluster_status': 'Primary', 'wsrep_local_state_comment': 'Synced'}
    assert W.synced_problem(status, 3) is None
    assert W.synced_problem(status, 4) == 'sees cluster size 3, expected 4'
    assert W.synced_problem(dict(status, wsrep_cluster_status='non-Primary'), 3) == 'not in a Primary component'
    assert W.synced_problem({}, 1) == 'is ?'


def test_wait_polls_a_transitional_state_until_synced():
    clock = Clock()
    run, calls = runner(SYNCED.replace('Synced', 'Joined'), SYNCED.replace('Synced', 'Donor/Desynced'), SYNCED)
    status, problem = W.wait_synced(run, ['mariadb'], 3, 10, 0.5, clock, clock.sleep, fail_fast=True)
    assert problem is None and len(calls) == 3
    assert calls[0][:3] == ['mariadb', '-N', '-B']


def test_fail_fast_stops_at_once_on_a_smaller_cluster_or_silence():
    clock = Clock()
    run, calls = runner(SYNCED.replace('\t3', '\t2', 1))
    status, problem = W.wait_synced(run, ['mariadb'], 3, 300, 0.5, clock, clock.sleep, fail_fast=True)
    assert problem == 'sees cluster size 2, expected 3' and len(calls) == 1 and clock.now == 0
    run, calls = runner(('', "ERROR 2002 (HY000): Can't connect"))
    status, problem = W.wait_synced(run, ['mariadb'], 3, 300, 0.5, clock, clock.sleep, fail_fast=True)
    assert problem.startswith('not answering: ERROR 2002') and len(calls) == 1


def test_without_fail_fast_a_restarting_node_is_polled_until_the_timeout():
    # control for fail_fast: the same answer is polled again and again, then reported
    clock = Clock()
    run, calls = runner(SYNCED.replace('\t3', '\t2', 1))
    status, problem = W.wait_synced(run, ['mariadb'], 3, 5, 0.5, clock, clock.sleep)
    assert problem == 'sees cluster size 2, expected 3' and len(calls) == 11

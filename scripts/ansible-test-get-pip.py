# -*- coding: utf-8 -*-
# Stand-in for ansible-test's pip bootstrap script, whose download host
# (ci-files.testing.ansible.com) is not reachable here: bootstrap pip with the
# interpreter's own ensurepip, then install the requested pip version from PyPI.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel', '--disable-pip-version-check')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', '--disable-pip-version-check'] + args)

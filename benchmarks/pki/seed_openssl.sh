#!/usr/bin/env bash
# Benchmark (c) - the seed's openssl recipe, looped over the nodes.
set -euo pipefail
out=$1 count=$2
cd "$out"
openssl genrsa 2048 > ca-key.pem 2>/dev/null
openssl req -new -x509 -nodes -days 3600 -key ca-key.pem -out ca.pem -subj "/CN=bench CA" 2>/dev/null
for i in $(seq 0 $((count - 1))); do
  openssl req -newkey rsa:2048 -days 3600 -nodes -keyout "node$i-key.pem" -out "node$i-req.pem" -subj "/CN=node$i" 2>/dev/null
  openssl rsa -in "node$i-key.pem" -out "node$i-key.pem" 2>/dev/null
  openssl x509 -req -in "node$i-req.pem" -days 3600 -CA ca.pem -CAkey ca-key.pem -set_serial 01 -out "node$i-cert.pem" 2>/dev/null
done

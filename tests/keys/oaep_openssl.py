#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""oaep_openssl.py: libsotto's RSA-OAEP (SHA-256, MGF1-SHA-256, empty label)
interoperates with OpenSSL in both directions, for RSA-4096.

usage: oaep_openssl.py OAEP_TOOL"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import fail, run_main, scaled  # noqa: E402,F401

TOOL = sys.argv[1]
BITS = 4096
OAEP = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
        "-pkeyopt", "rsa_mgf1_md:sha256"]
OAEP_SHA1 = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha1",
             "-pkeyopt", "rsa_mgf1_md:sha1"]
LENGTHS = [1, 32, 40, BITS // 8 - 66]     # 446: the OAEP-SHA256 maximum


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=scaled(120), **kw)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    body = v.to_bytes(v.bit_length() // 8 + 1, "big")   # leading 0: positive
    return der(0x02, body)


def spki_pem(n, e):
    """SubjectPublicKeyInfo for rsaEncryption (RFC 8017 A.1.1, RFC 5280)."""
    rsa_oid = bytes.fromhex("06092a864886f70d010101")
    alg = der(0x30, rsa_oid + bytes.fromhex("0500"))
    key = der(0x30, der_int(n) + der_int(e))
    spki = der(0x30, alg + der(0x03, b"\x00" + key))
    import base64
    b64 = base64.b64encode(spki).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def sotto_to_openssl(tmp):
    key = os.path.join(tmp, "rsa.pem")
    r = run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
             "rsa_keygen_bits:%d" % BITS, "-out", key])
    if r.returncode != 0:
        fail("openssl genpkey: " + r.stderr.decode())
    r = run(["openssl", "rsa", "-in", key, "-modulus", "-noout"])
    modulus = r.stdout.decode().strip()
    if not modulus.startswith("Modulus="):
        fail("openssl rsa -modulus: %r" % modulus)
    modulus = modulus[len("Modulus="):]
    ct_path, pt_path = os.path.join(tmp, "ct"), os.path.join(tmp, "pt")
    for n in LENGTHS:
        msg = os.urandom(n)
        r = run([TOOL, "wrap", modulus, msg.hex()])
        if r.returncode != 0:
            fail("oaep_tool wrap (%d bytes): %s" % (n, r.stderr.decode()))
        ct = bytes.fromhex(r.stdout.decode().strip())
        if len(ct) != BITS // 8:
            fail("ciphertext is %d bytes" % len(ct))
        with open(ct_path, "wb") as f:
            f.write(ct)
        r = run(["openssl", "pkeyutl", "-decrypt", "-inkey", key, "-in", ct_path,
                 "-out", pt_path] + OAEP)
        if r.returncode != 0:
            fail("openssl could not unwrap sotto's %d-byte message: %s"
                 % (n, r.stderr.decode()))
        with open(pt_path, "rb") as f:
            if f.read() != msg:
                fail("openssl recovered other bytes (%d-byte message)" % n)
        # Control: the same ciphertext is not OAEP-SHA1.
        r = run(["openssl", "pkeyutl", "-decrypt", "-inkey", key, "-in", ct_path,
                 "-out", pt_path] + OAEP_SHA1)
        if r.returncode == 0:
            fail("sotto's ciphertext also decrypts as OAEP-SHA1")
    r = run([TOOL, "wrap", modulus, "00" * (BITS // 8 - 65)])
    if r.returncode == 0:
        fail("oaep_tool wrapped a message over the OAEP bound")
    r = run([TOOL, "wrap", modulus, ""])     # libgcrypt cannot encode it
    if r.returncode == 0:
        fail("oaep_tool wrapped an empty message")
    print("ok: openssl pkeyutl unwraps libsotto's OAEP-SHA256 (%s bytes)" % LENGTHS)


def openssl_to_sotto(tmp):
    proc = subprocess.Popen([TOOL, "serve", str(BITS)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().split()
        if len(first) != 2 or first[0] != "N":
            fail("oaep_tool serve: %r" % first)
        n = int(first[1], 16)
        if n.bit_length() != BITS:
            fail("modulus has %d bits" % n.bit_length())
        pub = os.path.join(tmp, "pub.pem")
        with open(pub, "w") as f:
            f.write(spki_pem(n, 65537))
        r = run(["openssl", "rsa", "-pubin", "-in", pub, "-modulus", "-noout"])
        if r.stdout.decode().strip().lower() != "modulus=" + first[1].lower():
            fail("openssl reads another modulus: %r" % r.stdout)

        def ask(ct):
            proc.stdin.write(ct.hex() + "\n")
            proc.stdin.flush()
            return proc.stdout.readline().rstrip("\n")

        msg_path, ct_path = os.path.join(tmp, "msg"), os.path.join(tmp, "ct2")
        for size in [0] + LENGTHS:    # an empty message unwraps too
            msg = os.urandom(size)
            with open(msg_path, "wb") as f:
                f.write(msg)
            r = run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pub,
                     "-in", msg_path, "-out", ct_path] + OAEP)
            if r.returncode != 0:
                fail("openssl pkeyutl -encrypt: " + r.stderr.decode())
            with open(ct_path, "rb") as f:
                ct = f.read()
            got = ask(ct)
            if got != "OK " + msg.hex():
                fail("libsotto unwrapped openssl's %d bytes as %r" % (size, got))
            bad = bytearray(ct)
            bad[len(bad) // 2] ^= 1
            got = ask(bytes(bad))
            if got != "ERR decryption failed":
                fail("tampered ciphertext gave %r" % got)
        r = run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pub,
                 "-in", msg_path, "-out", ct_path] + OAEP_SHA1)
        with open(ct_path, "rb") as f:
            got = ask(f.read())
        if got != "ERR decryption failed":
            fail("OAEP-SHA1 ciphertext gave %r" % got)
    finally:
        proc.stdin.close()
        proc.wait(timeout=scaled(60))
    print("ok: libsotto unwraps openssl's OAEP-SHA256 (%s bytes); tampering and SHA-1 refused"
          % ([0] + LENGTHS))


def main():
    tmp = tempfile.mkdtemp(prefix="sotto-oaep.")
    try:
        sotto_to_openssl(tmp)
        openssl_to_sotto(tmp)
    finally:
        shutil.rmtree(tmp)


run_main(main)

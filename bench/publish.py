#!/usr/bin/env python3
"""Publish load for bench/publish.sh: N concurrent clients, each on its own keep-alive connection,
PUT one new release per request (a different version each time) for a bounded time.

Every request carries a valid, unique source archive (stored zip: Package.swift, a source file
naming the version, and incompressible padding up to --size bytes) and package metadata, framed
exactly as SwiftPM sends it. Prints one JSON object: count, errors, requests/s, client-side
latency percentiles. Standard library only; talks to loopback only.
"""
import argparse
import http.client
import json
import os
import struct
import sys
import threading
import time
import urllib.parse
import zlib

BOUNDARY = "80379F53-EC49-4B4B-A21F-3C725205CC06"
MANIFEST = (b"// swift-tools-version:5.9\nimport PackageDescription\n\n"
            b"let package = Package(name: \"Bench\", targets: [.target(name: \"Bench\")])\n")


def local_entry(name: bytes, data: bytes):
    """A stored zip entry: (local header + data, central directory fields)."""
    crc = zlib.crc32(data) & 0xFFFFFFFF
    header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0)
    return header + name + data, (name, crc, len(data))


def central_entry(name: bytes, crc: int, size: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, 0, 0, 0, 0x21, crc, size, size,
                       len(name), 0, 0, 0, 0, 0o100644 << 16, offset) + name


class ArchiveMaker:
    """The padding entry is built once (first, at offset 0); the small entries change per request."""

    def __init__(self, size: int):
        padding = os.urandom(max(0, size - 581))
        self.head, self.head_central = local_entry(b"package/Sources/Bench/padding.bin", padding)

    def make(self, unique: str) -> bytes:
        parts = [self.head]
        centrals = [(self.head_central, 0)]
        offset = len(self.head)
        for name, data in ((b"package/Package.swift", MANIFEST),
                           (b"package/Sources/Bench/Bench.swift", f"public let release = \"{unique}\"\n".encode())):
            entry, central = local_entry(name, data)
            parts.append(entry)
            centrals.append((central, offset))
            offset += len(entry)
        directory = b"".join(central_entry(n, c, s, o) for (n, c, s), o in centrals)
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(centrals), len(centrals), len(directory), offset, 0)
        return b"".join(parts) + directory + end


def multipart(archive: bytes, metadata: bytes) -> bytes:
    def part(name, content_type, encoding, content):
        return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
                f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n").encode() + content + b"\r\n"
    return (part("source-archive", "application/zip", "binary", archive)
            + part("metadata", "application/json", "quoted-printable", metadata)
            + f"--{BOUNDARY}--\r\n".encode())


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--token", required=True)
    parser.add_argument("--scope", default="pub")
    parser.add_argument("--name", default="bench", help="package name prefix; client i publishes NAME-cI")
    parser.add_argument("--size", type=int, default=10240, help="archive size in bytes")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--max-requests", type=int, default=100000, help="per client")
    args = parser.parse_args()

    target = urllib.parse.urlsplit(args.url)
    if target.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("publish.py only talks to loopback")
    maker = ArchiveMaker(args.size)
    latencies, errors, lock = [], [], threading.Lock()
    start_barrier = threading.Barrier(args.concurrency + 1)
    deadline = [0.0]

    def client(index: int):
        package = f"{args.name}-c{index}"
        metadata = json.dumps({
            "description": "bulwark publish benchmark",
            "repositoryURLs": [f"https://github.com/{args.scope}/{package}.git"],
        }).encode()
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        mine, failures = [], []
        start_barrier.wait()
        for n in range(args.max_requests):
            if time.monotonic() >= deadline[0]:
                break
            version = f"1.{n}.0"
            body = multipart(maker.make(f"{package}@{version}"), metadata)
            headers = {
                "Content-Type": f"multipart/form-data;boundary=\"{BOUNDARY}\"",
                "Accept": "application/vnd.swift.registry.v1+json",
                "Authorization": f"Bearer {args.token}",
                "Content-Length": str(len(body)),
            }
            began = time.perf_counter()
            try:
                connection.request("PUT", f"/{args.scope}/{package}/{version}", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
                continue
            elapsed = time.perf_counter() - began
            if response.status == 201:
                mine.append(elapsed)
            else:
                failures.append(f"{response.status}: {answer[:200]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failures)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + args.duration
    start_barrier.wait()
    for thread in threads:
        thread.join(timeout=args.duration + 300)
    elapsed = time.monotonic() - began
    latencies.sort()
    print(json.dumps({
        "size": args.size, "concurrency": args.concurrency, "ok": len(latencies), "errors": len(errors),
        "first_error": errors[0] if errors else None, "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 2) if elapsed > 0 else 0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }))


if __name__ == "__main__":
    main()

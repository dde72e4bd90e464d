"""The random files both systems move: generated once per run, with their sizes and SHA-256 digests."""

import hashlib
import os

MIB = 1024 * 1024


class DataFile:
    """One generated file: where it is, its name, size and SHA-256 (the CAN asset hash)."""

    def __init__(self, path, size, sha256):
        self.path, self.size, self.sha256 = path, size, sha256
        self.name = os.path.basename(path)


class Dataset:
    """The four workloads' inputs.

    big: one 1 GiB file; side_a/side_b: 51 x 1 MiB each (ingested on A and on B at once); small: 1000 x 4 KiB;
    latency: small files for the latency test, one set per measured series so no system sees a file twice.
    """

    def __init__(self, root, big_mib=1024, both_ways_count=51, small_count=1000, latency_count=20, latency_series=2):
        self.root = root
        self.big = self._generate("big", ["big.bin"], big_mib * MIB)[0]
        self.side_a = self._generate("side-a", [f"a{i:03d}.bin" for i in range(both_ways_count)], MIB)
        self.side_b = self._generate("side-b", [f"b{i:03d}.bin" for i in range(both_ways_count)], MIB)
        self.small = self._generate("small", [f"s{i:04d}.bin" for i in range(small_count)], 4096)
        self.latency = [self._generate(f"latency-{series}", [f"l{series}-{i:02d}.bin" for i in range(latency_count)], 1024)
                        for series in range(latency_series)]

    def _generate(self, folder, names, size):
        directory = os.path.join(self.root, folder)
        os.makedirs(directory, exist_ok=True)
        files = []
        for name in names:
            path = os.path.join(directory, name)
            digest = hashlib.sha256()
            with open(path, "wb") as f:
                left = size
                while left:
                    chunk = os.urandom(min(left, 8 * MIB))
                    digest.update(chunk)
                    f.write(chunk)
                    left -= len(chunk)
            files.append(DataFile(path, size, digest.hexdigest()))
        return files


def total_bytes(files):
    return sum(f.size for f in files)

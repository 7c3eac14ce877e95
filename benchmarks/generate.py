"""A deterministic generated RDF corpus: Turtle files with skewed sizes.

``generate(root, files=974, seed=1)`` writes ``files`` Turtle files below ``root`` whose
sizes are skewed from a few KB to about 1 MB (about 41 KB on average, so 974 files make
about 40 MB, the size of the corpus the issue measured). Every file declares classes with
a label, a comment and a few annotations that produce no rows (as real ontologies do);
each class has a named parent that is, more often than not, declared in ANOTHER file
(so the hierarchy crosses files in both directions), some classes have an
``owl:someValuesFrom`` restriction (a SubClassOf axiom with an expression) and every file
declares a few object properties with a domain and a range.

The same ``(files, seed, mean_size)`` always gives byte-identical files, so a generated
corpus is cached: :func:`ensure_corpus` regenerates only when its stamp differs.

Run ``python -m benchmarks.generate OUT [--files N] [--seed S]`` to write one by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

MIN_SIZE = 3 * 1024
MAX_SIZE = 1024 * 1024
MEAN_SIZE = 41 * 1024  # 974 files -> ~40 MB, as in the measurement
BASE = "http://bench.example.org/onto#"
_STAMP = "corpus.json"
_CLASS_BYTES = 400  # the average size of one generated class block, measured
_WORDS = (
    *("signal", "anchor", "vector", "lattice", "module", "ledger", "sensor", "avatar"),
    *("portal", "tensor", "token", "channel", "beacon", "kernel", "mirror", "prism"),
    *("relay", "socket", "spindle", "torrent", "vertex", "widget", "harbor", "meadow"),
    *("quarry", "summit", "tunnel", "valley", "canyon", "glacier", "island", "jungle"),
)
_PREFIXES = f"""@prefix : <{BASE}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def file_sizes(
    files: int, seed: int, mean_size: int = MEAN_SIZE, max_size: int = MAX_SIZE
) -> list[int]:
    """Target sizes: ``MIN * (max/MIN) ** (u ** p)`` for uniform ``u``, with ``p`` chosen
    (by bisection) so the mean is ``mean_size``; the largest file is ``max_size``."""
    rng = random.Random(f"sizes:{seed}")
    draws = [rng.random() for _ in range(files)]
    if draws:
        draws[max(range(files), key=draws.__getitem__)] = 1.0
    ratio = math.log(max_size / MIN_SIZE)

    def sizes(power: float) -> list[int]:
        return [int(MIN_SIZE * math.exp(ratio * u**power)) for u in draws]

    low, high = 0.01, 200.0
    for _ in range(60):
        middle = math.sqrt(low * high)
        if sum(sizes(middle)) / max(files, 1) > mean_size:
            low = middle
        else:
            high = middle
    return sizes(high)


def _name(index: int, cls: int) -> str:
    return f"F{index:05d}C{cls:05d}"


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(count))


def _class_block(
    rng: random.Random, index: int, cls: int, counts: Sequence[int], props: int
) -> str:
    """One class: ~7 triples of which 3 become rows (class, edge, SubClassOf axiom)."""
    if rng.random() < 0.65:  # the parent is declared in another file
        other = rng.randrange(len(counts))
        parent = _name(other, rng.randrange(counts[other]))
    else:
        parent = _name(index, rng.randrange(counts[index]))
    name = _name(index, cls)
    lines = [
        f":{name} a owl:Class ;",
        f'    rdfs:label "{_words(rng, 2).title()} {cls}"@en ;',
        f'    rdfs:comment "{_words(rng, rng.randint(8, 22))}."@en ;',
        f'    skos:altLabel "{_words(rng, 2)}" ;',
        f'    dcterms:created "2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^xsd:date ;',
        f"    rdfs:seeAlso <http://bench.example.org/doc/{index}/{cls}> ;",
    ]
    if rng.random() < 0.1:
        other = rng.randrange(len(counts))
        lines.append(
            f"    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty "
            f":F{index:05d}P{rng.randrange(props)} ; owl:someValuesFrom "
            f":{_name(other, rng.randrange(counts[other]))} ] ;"
        )
    lines.append(f"    rdfs:subClassOf :{parent} .")
    return "\n".join(lines) + "\n\n"


def _property_block(rng: random.Random, index: int, prop: int, counts: Sequence[int]) -> str:
    domain = _name(index, rng.randrange(counts[index]))
    other = rng.randrange(len(counts))
    return (
        f":F{index:05d}P{prop} a owl:ObjectProperty ;\n"
        f'    rdfs:label "{_words(rng, 2)} {prop}"@en ;\n'
        f"    rdfs:domain :{domain} ;\n"
        f"    rdfs:range :{_name(other, rng.randrange(counts[other]))} .\n\n"
    )


def render_file(index: int, counts: Sequence[int], seed: int) -> bytes:
    """The Turtle text of file ``index`` (``counts[i]`` classes in file ``i``)."""
    rng = random.Random(f"file:{seed}:{index}")
    props = 1 + counts[index] // 40
    parts = [_PREFIXES, f"\n<http://bench.example.org/module/{index}> a owl:Ontology .\n\n"]
    parts += [_property_block(rng, index, p, counts) for p in range(props)]
    parts += [_class_block(rng, index, c, counts, props) for c in range(counts[index])]
    return "".join(parts).encode()


def relative_path(index: int) -> str:
    return f"modules/m{index % 20:02d}/f{index:05d}.ttl"


def generate(
    root: Path,
    files: int = 974,
    seed: int = 1,
    mean_size: int = MEAN_SIZE,
    max_size: int = MAX_SIZE,
) -> int:
    """Write the corpus below ``root`` (replacing it); returns the total bytes written."""
    if root.exists():
        shutil.rmtree(root)
    sizes = file_sizes(files, seed, mean_size, max_size)
    counts = [max(1, size // _CLASS_BYTES) for size in sizes]
    total = 0
    for index in range(files):
        path = root / relative_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = render_file(index, counts, seed)
        path.write_bytes(data)
        total += len(data)
    stamp = {"files": files, "seed": seed, "mean_size": mean_size, "max_size": max_size}
    stamp["bytes"] = total
    (root / _STAMP).write_text(json.dumps(stamp))
    return total


def ensure_corpus(
    root: Path, files: int, seed: int = 1, mean_size: int = MEAN_SIZE, max_size: int = MAX_SIZE
) -> int:
    """Make ``root`` hold the corpus for these parameters, generating it only when its
    stamp differs; returns its size in bytes. The stamp file ``corpus.json`` is never
    synced (the default path filter does not admit ``.json``)."""
    stamp_path = root / _STAMP
    wanted = {"files": files, "seed": seed, "mean_size": mean_size, "max_size": max_size}
    if stamp_path.is_file():
        stamp = json.loads(stamp_path.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted:
            return int(stamp["bytes"])
    return generate(root, files, seed, mean_size, max_size)


def change_file(data: bytes, salt: str) -> bytes:
    """The same file with one more annotation: a small edit that changes its blob SHA."""
    return data + f'\n:Changed{salt} rdfs:comment "edited {salt}"@en .\n'.encode()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=974)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mean-size", type=int, default=MEAN_SIZE)
    parser.add_argument("--max-size", type=int, default=MAX_SIZE)
    args = parser.parse_args(argv)
    total = generate(args.out, args.files, args.seed, args.mean_size, args.max_size)
    # A command-line tool: printing is its output.
    print(f"{args.files} files, {total / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()

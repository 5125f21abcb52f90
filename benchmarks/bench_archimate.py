"""ArchiMate exchange benchmark: a generated 50 000-element model through import and export.

Run by ``make bench``::

    .venv/bin/python benchmarks/bench_archimate.py [--elements N] [--relations M] [--seed S]
                                                   [--json PATH]

It writes an exchange file of N elements (default 50 000, of every element
type, with properties, two languages on a tenth of them and a folder tree) and
M relationships (default 100 000, of types the metamodel allows between their
ends), then measures in one run:

a. the baseline: a bare parse of the same file with ``defusedxml.ElementTree``
   (no line numbers, no records);
b. reading: ``ArchimateImporter.read`` (safe parse with line numbers, then
   records), as a ratio to the baseline;
c. the first import through ``run_source`` on a fresh workspace (what
   ``ea import archimate FILE`` does), in elements + relations per second;
d. the re-import of the same file (everything recognised as unchanged);
e. the export of the whole repository (``ea export archimate``).

Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from defusedxml.ElementTree import parse as safe_parse

from ea_repo.config import init_workspace
from ea_repo.exporters.archimate import export_archimate
from ea_repo.importers.archimate import NS, ArchimateImporter, load_archimate_mapping
from ea_repo.metamodel import load_metamodel
from ea_repo.repository import Repository
from ea_repo.sources import make_spec, run_source

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchkit, beside this script
import benchkit

# Element types and, for each relationship, a pair the default metamodel allows.
TYPES = [
    "BusinessActor", "BusinessRole", "BusinessProcess", "BusinessFunction", "BusinessService",
    "BusinessObject", "ApplicationComponent", "ApplicationService", "ApplicationInterface",
    "DataObject", "Node", "Device", "SystemSoftware", "TechnologyService", "Artifact",
    "Capability", "Requirement", "Goal", "WorkPackage", "Location",
]  # fmt: skip
PAIRS = [
    ("Serving", "ApplicationService", "BusinessProcess"),
    ("Serving", "Node", "ApplicationComponent"),
    ("Realization", "ApplicationComponent", "ApplicationService"),
    ("Flow", "ApplicationComponent", "ApplicationComponent"),
    ("Access", "ApplicationComponent", "DataObject"),
    ("Assignment", "BusinessActor", "BusinessRole"),
    ("Composition", "Capability", "Capability"),
    ("Triggering", "BusinessProcess", "BusinessProcess"),
    ("Association", "Requirement", "Goal"),
    ("Aggregation", "Location", "Node"),
]
FOLDERS = ["Business/Actors", "Business/Processes", "Application", "Technology & Physical/Servers"]


def generate(path: Path, n_elements: int, n_relations: int, seed: int) -> None:
    """Write an exchange file of ``n_elements`` elements and ``n_relations`` relationships."""
    rng = random.Random(seed)
    by_type: dict[str, list[str]] = {t: [] for t in TYPES}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<model xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="id-bench">',
        "  <name>Benchmark</name>",
        "  <elements>",
    ]
    for i in range(n_elements):
        xtype = TYPES[i % len(TYPES)]
        ident = f"id-e{i:06d}"
        by_type[xtype].append(ident)
        lines.append(f'    <element identifier="{ident}" xsi:type="{xtype}">')
        if i % 10 == 0:
            lines.append(f'      <name xml:lang="en">{xtype} {i}</name>')
            lines.append(f'      <name xml:lang="fr">{xtype} n°{i}</name>')
        else:
            lines.append(f"      <name>{xtype} {i}</name>")
        if i % 3 == 0:
            lines.append(
                f"      <documentation>{escape(f'About {xtype} {i} & co.')}</documentation>"
            )
        lines.append("      <properties>")
        lines.append(
            f'        <property propertyDefinitionRef="propid-1"><value>team-{i % 40}</value></property>'
        )
        lines.append(
            f'        <property propertyDefinitionRef="propid-2"><value>{rng.randint(1, 9999)}</value></property>'
        )
        lines.append("      </properties>")
        lines.append("    </element>")
    lines += ["  </elements>", "  <relationships>"]
    for j in range(n_relations):
        xtype, src_type, dst_type = PAIRS[j % len(PAIRS)]
        src, dst = rng.choice(by_type[src_type]), rng.choice(by_type[dst_type])
        extra = ' accessType="Read"' if xtype == "Access" else ""
        lines.append(
            f'    <relationship identifier="id-r{j:06d}" source="{src}" target="{dst}" xsi:type="{xtype}"{extra} />'
        )
    lines += ["  </relationships>", "  <organizations>"]
    for folder in FOLDERS:
        parts = folder.split("/")
        lines += [f"    <item><label>{escape(p)}</label>" for p in parts]
        lines += [
            f'      <item identifierRef="id-e{i:06d}" />'
            for i in range(FOLDERS.index(folder), n_elements, 7)
        ]
        lines += ["    </item>"] * len(parts)
    lines += [
        "  </organizations>",
        "  <propertyDefinitions>",
        '    <propertyDefinition identifier="propid-1" type="string"><name>Owner</name></propertyDefinition>',
        '    <propertyDefinition identifier="propid-2" type="string"><name>Cost</name></propertyDefinition>',
        "  </propertyDefinitions>",
        "</model>",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=50_000)
    parser.add_argument("--relations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ea-bench-archimate-") as tmp:
        root = Path(tmp)
        model = root / "model.xml"
        t_gen, _ = timed(lambda: generate(model, args.elements, args.relations, args.seed))
        size_mb = model.stat().st_size / 1e6
        items = args.elements + args.relations
        print(
            f"python {platform.python_version()}, {args.elements} elements + "
            f"{args.relations} relationships, {size_mb:.1f} MB (generated in {t_gen:.1f} s)"
        )

        t_base, _ = timed(lambda: safe_parse(model))
        mm = load_metamodel()
        importer = ArchimateImporter(mm, load_archimate_mapping(None, mm))
        t_read, batch = timed(lambda: importer.read(model))
        assert not batch.problems, batch.problems[:3]

        workspace = init_workspace(root / "ws")
        spec = make_spec("archi", "archimate", [model])
        with Repository.open(workspace) as repo:
            t_first, first = timed(lambda: run_source(spec, repo.store, repo.metamodel))
        with Repository.open(workspace) as repo:
            t_again, again = timed(lambda: run_source(spec, repo.store, repo.metamodel))
            t_export, (text, stats) = timed(
                lambda: export_archimate(repo.store, repo.metamodel, importer.mapping)
            )
        assert first.elements.counts()["added"] == args.elements
        assert again.elements.counts()["unchanged"] == args.elements

        figures = {
            "elements": args.elements,
            "relations": args.relations,
            "file_mb": round(size_mb, 1),
            "baseline_parse_s": round(t_base, 2),
            "read_s": round(t_read, 2),
            "read_over_baseline": round(t_read / t_base, 2),
            "first_import_s": round(t_first, 2),
            "first_import_rate_per_s": round(items / t_first),
            "first_import_over_baseline": round(t_first / t_base, 1),
            "reimport_s": round(t_again, 2),
            "reimport_rate_per_s": round(items / t_again),
            "export_s": round(t_export, 2),
            "export_rate_per_s": round((stats.elements + stats.relations) / t_export),
        }
        rows = [
            ("baseline: defusedxml parse", t_base, ""),
            ("read (parse + records)", t_read, f"{t_read / t_base:.2f}x baseline"),
            (
                "first import",
                t_first,
                f"{items / t_first:,.0f} items/s, {t_first / t_base:.1f}x baseline",
            ),
            ("re-import, unchanged", t_again, f"{items / t_again:,.0f} items/s"),
            (
                "export",
                t_export,
                f"{(stats.elements + stats.relations) / t_export:,.0f} items/s, {len(text) / 1e6:.1f} MB",
            ),
        ]
        for label, seconds, note in rows:
            print(f"  {label:<28} {seconds:7.2f} s   {note}")
        benchkit.save_figures(figures, args.json)


if __name__ == "__main__":
    main()

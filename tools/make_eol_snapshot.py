#!/usr/bin/env python3
"""Write ea-repo's own lifecycle snapshot from an endoflife.date extract.

    .venv/bin/python tools/make_eol_snapshot.py /path/to/endoflife-2026-08-22.json

reads a snapshot of endoflife.date in the format
``{"meta": {"commit", "snapshot_date", ...}, "products": {id: {...}}}`` and
writes, beside the ``ea_repo.lifecycle`` package:

* ``data/endoflife.json`` — only the products a CMDB typically holds
  (:data:`PRODUCTS`) and only the fields the eol importer uses (title,
  category, aliases; per release: cycle, label, releaseDate, support, eol,
  extendedSupport, lts, latest), labels rendered (no ``__CODENAME__``
  placeholders or HTML), with the provenance in ``meta``;
* ``data/LICENSE-endoflife.txt`` — the MIT notice of endoflife.date and the
  provenance (project, commit, snapshot date).

The output is deterministic (sorted keys, fixed indentation, releases in the
order of the data), so a new extract shows up in git as a readable diff. It is
checked by parsing it back with :func:`ea_repo.lifecycle.catalog.parse_snapshot`.
Run it again when a newer extract is available; the installed package never
reads the extract itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "ea_repo" / "lifecycle" / "data"

# The products a CMDB typically holds, by family. Products asked for but absent
# from endoflife.date (as of 2026-08): HP-UX, IBM WebSphere, Oracle WebLogic,
# WildFly, Microsoft IIS, SAP NetWeaver — their CMDB entries are reported as
# unmatched by the importer.
PRODUCTS: dict[str, tuple[str, ...]] = {
    "operating systems": (
        "rhel",
        "centos",
        "centos-stream",
        "oracle-linux",
        "rocky-linux",
        "almalinux",
        "ubuntu",
        "debian",
        "sles",
        "amazon-linux",
        "windows-server",
        "windows",
        "ibm-i",
        "ibm-aix",
        "oracle-solaris",
        "macos",
    ),
    "databases": (
        "mssqlserver",
        "oracle-database",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "ibm-db2",
        "redis",
        "elasticsearch",
        "apache-cassandra",
    ),
    "middleware and application servers": (
        "tomcat",
        "red-hat-jboss-eap",
        "nginx",
        "apache-http-server",
        "haproxy",
        "rabbitmq",
        "apache-kafka",
        "apache-activemq",
        "ibm-mq",
        "kubernetes",
        "red-hat-openshift",
        "msexchange",
        "sharepoint",
    ),
    "runtimes": (
        "oracle-jdk",
        "openjdk-builds-from-oracle",
        "eclipse-temurin",
        "red-hat-build-of-openjdk",
        "dotnet",
        "dotnetfx",
        "nodejs",
        "python",
        "php",
    ),
    "virtualisation": ("vmware-esxi", "vmware-vcenter", "proxmox-ve", "nutanix-aos"),
    "network, security and storage appliances": (
        "big-ip",
        "fortios",
        "pan-os",
        "cisco-ios-xe",
        "netapp-ontap",
    ),
    "packaged applications and tools": (
        "gitlab",
        "jenkins",
        "confluence",
        "jira-software",
        "bitbucket",
        "artifactory",
        "sonarqube-server",
        "zabbix",
        "grafana",
        "splunk",
        "keycloak",
        "red-hat-satellite",
        "veeam-backup-and-replication",
        "citrix-vad",
    ),
}

PRODUCT_FIELDS = ("title", "category", "aliases")
RELEASE_FIELDS = (
    "cycle",
    "label",
    "releaseDate",
    "support",
    "eol",
    "extendedSupport",
    "lts",
    "latest",
)


def wanted() -> list[str]:
    """Every product id of :data:`PRODUCTS`, sorted."""
    return sorted(pid for ids in PRODUCTS.values() for pid in ids)


def slim_release(raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of a release the importer uses; the label rendered, dropped if it is the cycle."""
    from ea_repo.lifecycle.catalog import render_label

    out = {k: raw[k] for k in RELEASE_FIELDS if k in raw and raw[k] is not None}
    cycle = str(out["cycle"])
    out["cycle"] = cycle
    codename = raw.get("codename") if isinstance(raw.get("codename"), str) else None
    label = render_label(raw.get("label"), cycle, codename)
    if label is None or label == cycle:
        out.pop("label", None)
    else:
        out["label"] = label
    if "latest" in out:
        out["latest"] = str(out["latest"])
    return out


def build(extract: dict[str, Any], products: list[str]) -> dict[str, Any]:
    """The snapshot to ship: ``products`` only, slim fields, provenance in ``meta``."""
    source = extract.get("products") or {}
    missing = [pid for pid in products if pid not in source]
    if missing:
        raise SystemExit(f"not in the extract: {', '.join(missing)} (update PRODUCTS)")
    meta = extract.get("meta") or {}
    out: dict[str, Any] = {}
    for pid in products:
        raw = source[pid]
        entry = {k: raw[k] for k in PRODUCT_FIELDS if raw.get(k) not in (None, "", [])}
        entry["releases"] = [slim_release(r) for r in raw["releases"]]
        out[pid] = entry
    return {
        "meta": {
            "source": "endoflife.date (https://endoflife.date), "
            "repository endoflife-date/endoflife.date, products/*.md front matter",
            "commit": meta.get("commit"),
            "snapshot_date": meta.get("snapshot_date"),
            "license": "MIT, see LICENSE-endoflife.txt",
            "generated_by": "tools/make_eol_snapshot.py",
            "fields": "per release: cycle, label, releaseDate, support (end of active support), "
            "eol (end of security support), extendedSupport (end of paid extended support), "
            "lts, latest",
            "dates": "YYYY-MM-DD, or true = already ended with no published date, "
            "false = not ended / not announced; a missing field = not tracked",
            "products": len(out),
        },
        "products": out,
    }


def license_text(notice: str, meta: dict[str, Any]) -> str:
    """The licence file: provenance first, then endoflife.date's MIT notice verbatim."""
    return (
        "ea_repo/lifecycle/data/endoflife.json holds lifecycle facts (products, release\n"
        "cycles, support and end-of-life dates) taken from endoflife.date:\n"
        "\n"
        "  project:       endoflife.date - https://endoflife.date\n"
        "  repository:    https://github.com/endoflife-date/endoflife.date\n"
        f"  commit:        {meta.get('commit')}\n"
        f"  snapshot date: {meta.get('snapshot_date')}\n"
        "  selection:     the products a CMDB typically holds, fields used by ea-repo's\n"
        "                 eol importer; produced by tools/make_eol_snapshot.py\n"
        "\n"
        "endoflife.date is distributed under the MIT License:\n"
        "\n" + notice.strip() + "\n"
    )


def dump(data: dict[str, Any]) -> str:
    """Deterministic JSON: sorted keys, one-space indentation, UTF-8, final newline."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("extract", type=Path, help="the endoflife.date extract (JSON)")
    parser.add_argument(
        "--license",
        type=Path,
        help="endoflife.date's LICENSE file (default: LICENSE beside the extract)",
    )
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from ea_repo.lifecycle.catalog import parse_catalog_text

    extract = json.loads(args.extract.read_text("utf-8"))
    notice = (args.license or args.extract.parent / "LICENSE").read_text("utf-8")
    data = build(extract, wanted())
    text = dump(data)
    catalog = parse_catalog_text(text, "endoflife.json")  # fails loudly on anything malformed
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "endoflife.json").write_text(text, "utf-8")
    (args.output_dir / "LICENSE-endoflife.txt").write_text(
        license_text(notice, data["meta"]), "utf-8"
    )
    releases = sum(len(p.releases) for p in catalog)
    print(
        f"wrote {args.output_dir / 'endoflife.json'}: {len(catalog)} products, "
        f"{releases} releases, {len(text.encode('utf-8')):,} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

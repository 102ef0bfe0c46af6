"""Writes `src/localocean/areas/kubeapi/protos.json`: the protobuf layout of the built-in kinds.

Dev-only, never imported by the server. It reads the Go type declarations of `k8s.io/api`,
`k8s.io/apimachinery` and `k8s.io/apiextensions-apiserver` from bare git mirrors and records,
for every struct reachable from a kind, the facts in its fields' struct tags: the protobuf field
number, the JSON name, the wire kind, and whether the field is a slice, a pointer, omitempty or
inlined. No Go code and no comments are kept. `protobuf.py` reads the result.

The file's layout:
    "kinds":  {apiVersion: {kind: "pkg.Type"}}  the top-level types (structs embedding TypeMeta)
    "types":  {"pkg.Type": ["num json kind flags", ...]}  fields in declaration order
Kinds: "s" string, "b" bytes, "t" bool, "i32" "i64" "u32" "u64" integers, "f64" "f32" floats,
"@pkg.Type" a message ("@Type" in the same package), "{K}" a map from string to K,
"[K]" a wrapper message holding a repeated K in field 1 (a named slice used as a single field).
Flags: "r" repeated, "p" pointer, "o" omitempty, "z" omitzero, "i" inlined into the parent
("." as its json name), "-" none. The special types (meta/v1 Time, MicroTime, Duration,
FieldsV1, resource.Quantity, intstr.IntOrString, runtime.RawExtension, apiextensions/v1 JSON and
its JSONSchemaPropsOr*) are decoded by `protobuf.py` itself and have no rows.

Run: `.venv/bin/python scripts/kube_protos.py [--api GITDIR] [--apimachinery GITDIR]
[--apiextensions GITDIR]` (defaults: the mirrors under /work/.mirror).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "localocean" / "areas" / "kubeapi" / "protos.json"
MIRRORS = Path("/work/.mirror")

# Go import path prefix -> (mirror flag, path inside that repository).
MODULES = {
    "k8s.io/api/": ("api", ""),
    "k8s.io/apimachinery/": ("apimachinery", ""),
    "k8s.io/apiextensions-apiserver/": ("apiextensions", ""),
}
# Packages outside k8s.io/api that hold types reachable from the kinds: import path -> key.
EXTRA_PACKAGES = {
    "k8s.io/apimachinery/pkg/apis/meta/v1": "meta/v1",
    "k8s.io/apimachinery/pkg/api/resource": "resource",
    "k8s.io/apimachinery/pkg/util/intstr": "intstr",
    "k8s.io/apimachinery/pkg/runtime": "runtime",
    "k8s.io/apimachinery/pkg/types": "types",
    "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1": "apiextensions/v1",
}
SPECIAL = {
    "meta/v1.Time",
    "meta/v1.MicroTime",
    "meta/v1.Duration",
    "meta/v1.FieldsV1",
    "resource.Quantity",
    "intstr.IntOrString",
    "runtime.RawExtension",
    "runtime.Unknown",
    "apiextensions/v1.JSON",
    "apiextensions/v1.JSONSchemaPropsOrArray",
    "apiextensions/v1.JSONSchemaPropsOrBool",
    "apiextensions/v1.JSONSchemaPropsOrStringArray",
}
SCALARS = {
    "string": "s",
    "bool": "t",
    "int32": "i32",
    "int64": "i64",
    "int": "i64",
    "uint32": "u32",
    "uint64": "u64",
    "float64": "f64",
    "float32": "f32",
}


@dataclass
class GoField:
    name: str  # "" when embedded
    type: str
    tag: str


@dataclass
class GoType:
    pkg: str
    name: str
    imports: dict[str, str]
    fields: list[GoField] | None = None  # None: not a struct
    underlying: str = ""


@dataclass
class Package:
    key: str
    group: str | None = None
    version: str = ""
    types: dict[str, GoType] = field(default_factory=dict)


class Git:
    def __init__(self, gitdir: Path) -> None:
        self.gitdir = gitdir
        out = self._run("ls-tree", "-r", "HEAD", "--name-only")
        self.files = out.splitlines()

    def _run(self, *args: str) -> str:
        return subprocess.run(
            ["git", f"--git-dir={self.gitdir}", *args], check=True, capture_output=True, text=True
        ).stdout

    def show(self, path: str) -> str:
        return self._run("show", f"HEAD:{path}")


def strip_comments(src: str) -> str:
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    out = []
    for line in src.splitlines():
        # Struct tags sit in backquotes and never contain "//"; strings elsewhere don't matter.
        if line.lstrip().startswith("//"):
            line = ""
        elif "`" not in line:
            line = re.sub(r"//.*", "", line)
        else:
            line = re.sub(r"//[^`]*$", "", line)
        out.append(line)
    return "\n".join(out)


def parse_imports(src: str) -> dict[str, str]:
    imports: dict[str, str] = {}
    specs: list[str] = []
    for block in re.findall(r"^import\s*\((.*?)^\)", src, flags=re.S | re.M):
        specs.extend(block.splitlines())
    specs.extend(re.findall(r"^import\s+(\S.*)$", src, flags=re.M))
    for spec in specs:
        m = re.match(r'\s*(?:([\w.]+)\s+)?"([^"]+)"', spec)
        if m:
            alias = m.group(1) or m.group(2).rsplit("/", 1)[-1]
            imports[alias] = m.group(2)
    return imports


def parse_struct_body(body: str) -> list[GoField]:
    fields = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = re.match(r"^([^`]*?)\s*(`[^`]*`)?$", line)
        if not m:
            raise SystemExit(f"cannot parse field line: {line!r}")
        parts = m.group(1).split()
        tag = (m.group(2) or "").strip("`")
        if len(parts) == 1:
            fields.append(GoField("", parts[0], tag))
        else:
            if "," in parts[0]:
                if "protobuf:" in tag:
                    raise SystemExit(f"multi-name field: {line!r}")
                continue  # unexported internals of a type decoded by hand
            fields.append(GoField(parts[0], "".join(parts[1:]), tag))
    return fields


def parse_types(pkg: str, src: str, out: dict[str, GoType]) -> None:
    src = strip_comments(src)
    imports = parse_imports(src)
    decls: list[str] = []
    lines = src.split("\n")
    # Collect declarations: "type X ..." at top level and the entries of "type ( ... )" blocks.
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("type ("):
            i += 1
            while i < len(lines) and not lines[i].startswith(")"):
                if re.match(r"^\t\w", lines[i]):
                    chunk, i = _take_decl(lines, i)
                    decls.append(chunk)
                else:
                    i += 1
            i += 1
            continue
        if line.startswith("type "):
            chunk, i = _take_decl(lines, i, prefix="type ")
            decls.append(chunk)
            continue
        i += 1
    for decl in decls:
        m = re.match(r"^\s*(?:type\s+)?(\w+)(?:\[[^\]]*\])?\s+(=\s*)?(.*)$", decl, flags=re.S)
        if not m:
            raise SystemExit(f"cannot parse type declaration: {decl[:80]!r}")
        name, rest = m.group(1), m.group(3).strip()
        if rest.startswith("struct"):
            body = rest[rest.index("{") + 1 : rest.rindex("}")]
            out[name] = GoType(pkg, name, imports, fields=parse_struct_body(body))
        elif rest.startswith("interface"):
            continue
        else:
            out[name] = GoType(pkg, name, imports, underlying=rest.split()[0])


def _take_decl(lines: list[str], i: int, prefix: str = "") -> tuple[str, int]:
    """One declaration starting at line i; struct bodies run to the matching brace."""
    first = lines[i][len(prefix) :] if prefix else lines[i]
    depth = first.count("{") - first.count("}")
    chunk = [first]
    i += 1
    while depth > 0 and i < len(lines):
        depth += lines[i].count("{") - lines[i].count("}")
        chunk.append(lines[i])
        i += 1
    return "\n".join(chunk), i


def parse_tag(tag: str, key: str) -> str | None:
    m = re.search(rf'(?:^|\s){key}:"([^"]*)"', tag)
    return m.group(1) if m else None


class Builder:
    def __init__(self, repos: dict[str, Git]) -> None:
        self.repos = repos
        self.packages: dict[str, Package] = {}  # import path -> Package
        self.keys: dict[str, str] = {}  # key -> import path
        self.rows: dict[str, list[str]] = {}
        self.warnings: list[str] = []

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        api = self.repos["api"]
        dirs = sorted({f.rsplit("/", 1)[0] for f in api.files if f.endswith("/types.go")})
        for d in dirs:
            if f"{d}/register.go" not in api.files:
                continue
            register = strip_comments(api.show(f"{d}/register.go"))
            m = re.search(r'GroupName\s*=\s*"([^"]*)"', register)
            if not m:
                continue
            pkg = self._load_package(f"k8s.io/api/{d}", d, [f"{d}/types.go"], "api")
            pkg.group, pkg.version = m.group(1), d.rsplit("/", 1)[-1]
        for path, key in EXTRA_PACKAGES.items():
            repo_name = next(v[0] for k, v in MODULES.items() if path.startswith(k))
            prefix = next(k for k in MODULES if path.startswith(k))
            rel = path[len(prefix) :]
            git = self.repos[repo_name]
            files = [
                f
                for f in git.files
                if f.rsplit("/", 1)[0] == rel
                and f.endswith(".go")
                and not re.search(r"(_test|_fuzz|swagger_doc_generated)\.go$|/zz_|/generated", f)
            ]
            pkg = self._load_package(path, key, files, repo_name)
            if key == "apiextensions/v1":
                pkg.group, pkg.version = "apiextensions.k8s.io", "v1"
            if key == "meta/v1":
                pkg.group, pkg.version = "meta.k8s.io", "v1"

    def _load_package(self, path: str, key: str, files: list[str], repo: str) -> Package:
        pkg = Package(key)
        for f in files:
            parse_types(key, self.repos[repo].show(f), pkg.types)
        self.packages[path] = pkg
        self.keys[key] = path
        return pkg

    # -- type resolution -----------------------------------------------------------------
    def lookup(self, ctx: GoType, name: str) -> GoType | None:
        if "." in name:
            alias, base = name.split(".", 1)
            path = ctx.imports.get(alias)
            if path is None or path not in self.packages:
                return None
            return self.packages[path].types.get(base)
        return self.packages[self.keys[ctx.pkg]].types.get(name)

    def kind_of(self, ctx: GoType, typ: str, as_map_value: bool = False) -> tuple[str, bool]:
        """(kind, is_slice) of a Go type expression (without a leading '*')."""
        if typ == "[]byte":
            return "b", False
        if typ.startswith("[]"):
            inner, nested = self.kind_of(ctx, typ[2:])
            if nested:
                raise SystemExit(f"nested slice {typ} in {ctx.pkg}.{ctx.name}")
            return inner, True
        if typ.startswith("map["):
            key_type, value = _split_map(typ)
            key_kind, _ = self.kind_of(ctx, key_type)
            if key_kind != "s":
                raise SystemExit(f"non-string map key {typ} in {ctx.pkg}.{ctx.name}")
            vkind, vslice = self.kind_of(ctx, value, as_map_value=True)
            if vslice:
                vkind = f"[{vkind}]"
            return "{" + vkind + "}", False
        if typ in SCALARS:
            return SCALARS[typ], False
        target = self.lookup(ctx, typ)
        if target is None:
            raise SystemExit(f"unknown type {typ} in {ctx.pkg}.{ctx.name}")
        full = f"{target.pkg}.{target.name}"
        if full in SPECIAL or target.fields is not None:
            return "@" + full, False
        # A named non-struct type: resolve its underlying type in its own package.
        kind, is_slice = self.kind_of(target, target.underlying, as_map_value)
        return kind, is_slice

    # -- emission ------------------------------------------------------------------------
    def emit(self, full: str) -> None:
        if full in self.rows or full in SPECIAL:
            return
        key, name = full.rsplit(".", 1)
        gotype = self.packages[self.keys[key]].types[name]
        assert gotype.fields is not None
        rows: list[str] = []
        self.rows[full] = rows
        refs: list[str] = []
        for f in gotype.fields:
            proto = parse_tag(f.tag, "protobuf")
            if proto is None or proto == "-":
                continue
            jtag = parse_tag(f.tag, "json")
            parts = proto.split(",")
            num, card = int(parts[1]), parts[2]
            jparts = (jtag or "").split(",")
            jname = jparts[0]
            if jname == "-":
                continue
            flags = ""
            typ = f.type
            if typ.startswith("*"):
                flags += "p"
                typ = typ[1:]
            kind, is_slice = self.kind_of(gotype, typ)
            if is_slice and card != "rep" and not typ.startswith("[]"):
                kind = f"[{kind}]"  # a named slice sent as one wrapper message
            elif is_slice:
                flags += "r"
            if "p" in flags and ("r" in flags or kind.startswith("{")):
                raise SystemExit(f"pointer to a slice or map in {full}.{f.name}")
            if "omitempty" in jparts[1:]:
                flags += "o"
            if not f.name and not jname:
                flags += "i"
                if not kind.startswith("@") or "p" in flags or "r" in flags:
                    raise SystemExit(f"odd inline field in {full}: {f.type}")
                jname = "."
            elif not jname:
                jname = f.name
            if "omitzero" in jparts[1:]:
                flags += "z"
            for ref in re.findall(r"@([\w/.]+)", kind):
                refs.append(ref)
            if kind.startswith("@" + key + "."):
                kind = "@" + kind[len(key) + 2 :]
            kind = kind.replace("@" + key + ".", "@")
            rows.append(f"{num} {jname} {kind} {flags or '-'}")
        for ref in refs:
            self.emit(ref)

    # -- cross-check against the packages' generated.proto --------------------------------
    def verify(self) -> list[str]:
        """Differences between the rows and the messages of the packages' generated.proto."""
        problems: list[str] = []
        protos: dict[str, dict[str, dict[int, tuple[str, str]]]] = {}
        for key, path in self.keys.items():
            prefix = next(k for k in MODULES if path.startswith(k))
            repo = self.repos[MODULES[prefix][0]]
            rel = path[len(prefix) :] + "/generated.proto"
            if rel in repo.files:
                protos[key] = parse_proto(repo.show(rel))
        scalar = {"s": "string", "b": "bytes", "t": "bool", "i32": "int32", "i64": "int64"}
        scalar |= {"u32": "uint32", "u64": "uint64", "f64": "double", "f32": "float"}
        for full, rows in self.rows.items():
            key, name = full.rsplit(".", 1)
            message = protos.get(key, {}).get(name)
            if message is None:
                problems.append(f"{full}: no message in generated.proto")
                continue
            missing = set(message) - {int(row.split(" ", 1)[0]) for row in rows}
            if missing:
                problems.append(f"{full}: proto fields {sorted(missing)} have no row")
            for row in rows:
                num_s, jname, kind, flags = row.split(" ")
                num = int(num_s)
                if num not in message:
                    problems.append(f"{full}.{jname}: field {num} not in generated.proto")
                    continue
                label, ptype = message[num]
                if kind.startswith("{"):
                    ok = ptype.startswith("map<")
                else:
                    ok = (label == "repeated") == ("r" in flags)
                    if kind in scalar:
                        ok = ok and ptype == scalar[kind]
                    elif kind.startswith("["):
                        ok = ok and not ptype.startswith("map<") and ptype not in scalar.values()
                    else:
                        ok = ok and ptype.rsplit(".", 1)[-1] == kind.rsplit(".", 1)[-1].lstrip("@")
                if not ok:
                    problems.append(f"{full}.{jname}: {kind} {flags} vs proto {label} {ptype}")
        return problems

    def build(self) -> dict[str, object]:
        kinds: dict[str, dict[str, str]] = {}
        for pkg in self.packages.values():
            if pkg.group is None:
                continue
            api_version = f"{pkg.group}/{pkg.version}" if pkg.group else pkg.version
            for name, t in sorted(pkg.types.items()):
                if t.fields is None:
                    continue
                if not any(
                    f.name == ""
                    and f.type.split(".")[-1] == "TypeMeta"
                    and not parse_tag(f.tag, "json")
                    for f in t.fields
                ):
                    continue
                if not any(parse_tag(f.tag, "protobuf") for f in t.fields):
                    continue  # not sent as protobuf (no tagged fields)
                full = f"{pkg.key}.{name}"
                try:
                    self.emit(full)
                except SystemExit as exc:
                    self.warnings.append(f"skipped {full}: {exc}")
                    self.rows.pop(full, None)
                    continue
                kinds.setdefault(api_version, {})[name] = full
        types = {k: self.rows[k] for k in sorted(self.rows)}
        return {"kinds": dict(sorted(kinds.items())), "types": types}


def parse_proto(src: str) -> dict[str, dict[int, tuple[str, str]]]:
    """message name -> field number -> (label, type) of a generated.proto."""
    src = strip_comments(src)
    messages: dict[str, dict[int, tuple[str, str]]] = {}
    for m in re.finditer(r"^message\s+(\w+)\s*\{(.*?)^\}", src, flags=re.S | re.M):
        fields: dict[int, tuple[str, str]] = {}
        for f in re.finditer(
            r"^\s*(optional|repeated)?\s*(map<[^>]*>|[\w.]+)\s+\w+\s*=\s*(\d+)", m.group(2), re.M
        ):
            fields[int(f.group(3))] = (f.group(1) or "", f.group(2))
        messages[m.group(1)] = fields
    return messages


def _split_map(typ: str) -> tuple[str, str]:
    depth = 0
    for i, ch in enumerate(typ[3:], start=3):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return typ[4:i], typ[i + 1 :]
    raise SystemExit(f"bad map type {typ}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--api", type=Path, default=MIRRORS / "kubernetes+api" / "repo")
    parser.add_argument(
        "--apimachinery", type=Path, default=MIRRORS / "kubernetes+apimachinery" / "repo"
    )
    parser.add_argument(
        "--apiextensions",
        type=Path,
        default=MIRRORS / "kubernetes+apiextensions-apiserver" / "repo",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    repos = {
        "api": Git(args.api),
        "apimachinery": Git(args.apimachinery),
        "apiextensions": Git(args.apiextensions),
    }
    builder = Builder(repos)
    builder.load()
    data = builder.build()
    for problem in builder.verify():
        print("mismatch:", problem, file=sys.stderr)
    for w in builder.warnings:
        print("warning:", w, file=sys.stderr)
    text = json.dumps(data, separators=(",", ":"), sort_keys=False)
    args.out.write_text(text + "\n")
    kinds, types = data["kinds"], data["types"]
    assert isinstance(kinds, dict) and isinstance(types, dict)
    n_kinds = sum(len(v) for v in kinds.values())
    print(f"wrote {args.out}: {n_kinds} kinds, {len(types)} types, {len(text)} bytes")


if __name__ == "__main__":
    main()

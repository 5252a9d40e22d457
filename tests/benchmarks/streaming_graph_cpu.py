"""CPU and wall seconds of the whole streaming graph on the BundleBasedDirectRunner: the demo
site's feeds, 11 TestStream ticks a minute apart, then the end of the stream. With
`--other PKG` (a folder holding another tree's `cfnews` package, e.g. made with `git archive`
plus links for pipeline/, transforms/, schemas/) that tree is measured instead of this one.

    .venv/bin/python tests/benchmarks/streaming_graph_cpu.py [--other /tmp/old/pkg]
"""
import resource
import sys
import tempfile
import time

if "--other" in sys.argv:
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, sys.argv[sys.argv.index("--other") + 1])

import apache_beam as beam  # noqa: E402
from apache_beam.testing.test_stream import TestStream  # noqa: E402
from apache_beam.transforms.window import TimestampedValue  # noqa: E402

import cfnews  # noqa: E402
from cfnews.pipeline.demo.site import DemoSite  # noqa: E402
from cfnews.pipeline.graph import build_streaming  # noqa: E402
from cfnews.pipeline.runner import make_options  # noqa: E402

BASE = 1_764_806_400

with DemoSite() as site:
    options = make_options(["--runner=BundleBasedDirectRunner", "--streaming"],
                           out=tempfile.mkdtemp(), allow_hosts=site.allow_hosts,
                           min_host_delay=0.0)
    ticks = TestStream()
    for i in range(11):
        ticks = ticks.advance_watermark_to(BASE + 60 * i).add_elements(
            [TimestampedValue("tick", BASE + 60 * i)])
    ticks = ticks.advance_watermark_to_infinity()
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    with beam.Pipeline(options=options) as p:
        build_streaming(p, options, "bench", site.feeds, ticks=p | ticks)
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{list(cfnews.__path__)[0]}: wall {time.perf_counter() - t0:.1f} s, cpu "
          f"{(c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime):.1f} s")

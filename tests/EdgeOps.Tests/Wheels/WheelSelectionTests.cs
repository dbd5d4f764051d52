using EdgeOps.Wheels;
using Xunit;

namespace EdgeOps.Tests.Wheels
{
    /// <summary>Wheel names, versions, the catalog format and the choice per device (no device needed).</summary>
    public sealed class WheelSelectionTests
    {
        [Fact]
        public void Wheel_names_expand_compressed_tag_sets()
        {
            var w = WheelName.Parse("torch-2.1.0a0+41361538.nv23.06-cp38-cp38-manylinux_2_17_aarch64.manylinux2014_aarch64.whl");
            Assert.Equal("torch", w.Package);
            Assert.Equal("2.1.0a0+41361538.nv23.06", w.Version);
            Assert.Equal(new[] { "cp38-cp38-manylinux_2_17_aarch64", "cp38-cp38-manylinux2014_aarch64" }, w.Tags);
            Assert.Equal("torch-vision", WheelName.Parse("Torch_Vision-0.16.0-1-py3-none-any.whl").Package);
            Assert.Equal("1", WheelName.Parse("Torch_Vision-0.16.0-1-py3-none-any.whl").Build);
            Assert.False(WheelName.TryParse("torch-2.1.0.tar.gz", out _));
            Assert.False(WheelName.TryParse("torch 2.1.0-py3-none-any.whl", out _));
            Assert.False(WheelName.TryParse("x;$(id)-1.0-py3-none-any.whl", out _));
        }

        [Theory]
        [InlineData("2.1.0", "2.1.0", true)]
        [InlineData("2.1", "2.1.0", true)]
        [InlineData("2.1.0+nv23.06", "2.1.0", true)]
        [InlineData("2.1.0+nv23.06", "2.1.0+nv23.05", false)]
        [InlineData("2.1.1", "2.1.0", false)]
        [InlineData("2.1.3", "2.1.*", true)]
        [InlineData("2.10.0", "2.1.*", false)]
        [InlineData("2.0.0a0+nv23.05", "*nv23*", true)]
        [InlineData("1.10.0", null, true)]
        public void Version_requests(string version, string? request, bool matches) => Assert.Equal(matches, PepVersion.Matches(version, request));

        [Theory]
        [InlineData("1.26.4", "<2", true)]
        [InlineData("2.0.1", "<2", false)]
        [InlineData("1.26.4", ">=1.21,<2", true)]
        [InlineData("1.20.0", ">=1.21,<2", false)]
        [InlineData("1.26.4", "==1.26.*", true)]
        [InlineData("1.24.9", "~=1.24", true)]
        [InlineData("2.0.0", "~=1.24", false)]
        [InlineData("1.25.0", "!=1.25.0", false)]
        public void Version_specifiers(string version, string spec, bool ok) => Assert.Equal(ok, PepVersion.Satisfies(version, spec));

        [Fact]
        public void Versions_order_like_pep_440()
        {
            var ordered = new[] { "1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+local", "1.0.post1", "1.1", "2.0.0a0+nv23.05", "2.0.0", "10.0" };
            var shuffled = ordered.Reverse().ToList();
            shuffled.Sort((a, b) => new PepVersion(a).CompareTo(new PepVersion(b)));
            Assert.Equal(ordered, shuffled);
        }

        [Fact]
        public void Catalog_round_trips_and_keeps_versions_as_text()
        {
            var cat = new WheelCatalog();
            cat.Upsert(new WheelEntry
            {
                File = "jp46/torch-1.10.0-cp36-cp36m-linux_aarch64.whl", Package = "torch", Version = "1.10.0", Sha256 = new string('a', 64), Size = 42,
                Tags = { "cp36-cp36m-linux_aarch64" }, L4T = "32.7.*", JetPack = "4.6.1", Cuda = "10.2", Devices = { "jetson-nano" },
                SystemLibraries = { "libopenblas.so.0" }, SystemPackages = { "libopenblas-base" }, Requires = { "numpy<2" },
            });
            cat.Upsert(new WheelEntry { File = "torchvision-0.11.1-cp36-cp36m-linux_aarch64.whl", Package = "torchvision", Version = "0.11.1", Torch = "1.10.0", Tags = { "cp36-cp36m-linux_aarch64" } });
            var yaml = cat.ToYaml();
            Assert.Contains("cuda: \"10.2\"", yaml);
            var back = WheelCatalog.Parse(yaml, "test");
            Assert.Equal(2, back.Wheels.Count);
            var t = back.Wheels[0];
            Assert.Equal("10.2", t.Cuda);
            Assert.Equal("32.7.*", t.L4T);
            Assert.Equal("4.6.1", t.JetPack);
            Assert.Equal(42, t.Size);
            Assert.Equal(new[] { "numpy<2" }, t.Requires);
            Assert.Equal(new[] { "jetson-nano" }, t.Devices);
            Assert.Equal("1.10.0", back.Wheels[1].Torch);
            Assert.Equal(yaml, back.ToYaml());
        }

        [Theory]
        [InlineData("it's \"quoted\"")]
        [InlineData("key: value # not a comment")]
        [InlineData("two\nlines\r\nand a\ttab")]
        [InlineData("Grüße, 東京, ☃")]
        [InlineData("- [not, a, list] {x: 1} & *alias !tag")]
        [InlineData("null")]
        [InlineData("~")]
        [InlineData("10.20")]
        [InlineData("  padded  ")]
        [InlineData("$(reboot); `id`")]
        public void Catalog_round_trips_hostile_text_in_every_free_field(string hostile)
        {
            var cat = new WheelCatalog();
            cat.Upsert(new WheelEntry
            {
                File = "torch-2.1.0-cp311-cp311-linux_aarch64.whl", Package = "torch", Version = "2.1.0", Size = 7,
                Tags = { "cp311-cp311-linux_aarch64" }, L4T = hostile, JetPack = hostile, Cuda = hostile, Devices = { hostile, "jetson-nano" },
                Torch = hostile, Published = hostile, SystemLibraries = { "libopenblas.so.0" },
            });
            var yaml = cat.ToYaml();
            var w = Assert.Single(WheelCatalog.Parse(yaml, "test").Wheels);
            Assert.Equal((hostile, hostile, hostile, hostile, hostile), (w.L4T, w.JetPack, w.Cuda, w.Torch, w.Published));
            Assert.Equal(new[] { hostile, "jetson-nano" }, w.Devices);
            Assert.Equal(("torch-2.1.0-cp311-cp311-linux_aarch64.whl", 7L), (w.File, w.Size));
            Assert.Equal(new[] { "libopenblas.so.0" }, w.SystemLibraries);
        }

        [Fact]
        public void Catalogs_written_by_the_earlier_hand_written_writer_still_read()
        {
            // the layout EdgeOps wrote before the catalog went through YamlDotNet's serializer: every string double-quoted, flow lists
            var old = "# EdgeOps wheel catalog (written by Publish-TorchWheel; format described in docs/wheels.md)\nformat: 1\nwheels:\n" +
                      "  - file: \"jp46/torch-1.10.0-cp36-cp36m-linux_aarch64.whl\"\n    package: \"torch\"\n    version: \"1.10.0\"\n    size: 42\n" +
                      "    tags: [\"cp36-cp36m-linux_aarch64\"]\n    l4t: \"32.7.*\"\n    cuda: \"10.2\"\n    devices: [\"jetson-nano\"]\n" +
                      "    requires: [\"numpy<2\"]\n    published: \"a \\\"b\\\" \\x01\\nc\"\n";
            var w = Assert.Single(WheelCatalog.Parse(old, "old").Wheels);
            Assert.Equal(("10.2", "32.7.*", 42L), (w.Cuda, w.L4T, w.Size));
            Assert.Equal("a \"b\" \u0001\nc", w.Published);
            var again = Assert.Single(WheelCatalog.Parse(WheelCatalog.Parse(old, "old").ToYaml(), "new").Wheels);
            Assert.Equal((w.File, w.Cuda, w.Published), (again.File, again.Cuda, again.Published));
            Assert.Equal(new[] { "numpy<2" }, again.Requires);
        }

        [Theory]
        [InlineData("wheels: [", "not valid YAML")]
        [InlineData("wheels:\n  - sha256: abc\n", "has no 'file'")]
        [InlineData("wheels:\n  - file: notawheel.zip\n", "not a wheel file name")]
        [InlineData("wheels:\n  - file: ../torch-1.0-py3-none-any.whl\n", "not valid")]
        [InlineData("wheels:\n  - file: torch-1.0-py3-none-any.whl\n    sha256: xyz\n", "64 hex digits")]
        [InlineData("format: 7\nwheels: []\n", "format '7'")]
        public void Bad_catalogs_are_reported_with_the_line(string yaml, string expected)
        {
            var e = Assert.Throws<EdgeOpsException>(() => WheelCatalog.Parse(yaml, "s3://b/catalog.yaml"));
            Assert.Equal("WheelCatalogInvalid", e.ErrorId);
            Assert.Contains(expected, e.Message);
            Assert.Contains("s3://b/catalog.yaml (line", e.Message);
        }

        static DeviceProfile Device(string name, string kind, string? l4t = null, string? cuda = null) => new()
        {
            ComputerName = name, Kind = kind, PythonVersion = "3.8.10", Platform = "linux_aarch64", L4T = l4t, Cuda = cuda,
            Tags = { "cp38-cp38-manylinux_2_31_aarch64", "cp38-cp38-manylinux2014_aarch64", "cp38-cp38-linux_aarch64", "cp38-abi3-linux_aarch64", "py3-none-any" },
        };

        static List<WheelEntry> Catalog() => new()
        {
            new() { File = "torch-2.1.0-cp38-cp38-manylinux2014_aarch64.whl", Package = "torch", Version = "2.1.0", Tags = { "cp38-cp38-manylinux2014_aarch64" } },
            new() { File = "jp461/torch-1.11.0-cp38-cp38-linux_aarch64.whl", Package = "torch", Version = "1.11.0", Tags = { "cp38-cp38-linux_aarch64" }, L4T = "32.7.*", Cuda = "10.2" },
            new() { File = "jp51/torch-2.0.0a0+nv23.05-cp38-cp38-linux_aarch64.whl", Package = "torch", Version = "2.0.0a0+nv23.05", Tags = { "cp38-cp38-linux_aarch64" }, JetPack = "5.1.*" },
            new() { File = "torch-2.1.0-cp311-cp311-linux_x86_64.whl", Package = "torch", Version = "2.1.0", Tags = { "cp311-cp311-linux_x86_64" } },
            new() { File = "torchvision-0.16.0-cp38-cp38-linux_aarch64.whl", Package = "torchvision", Version = "0.16.0", Torch = "2.1.0", Tags = { "cp38-cp38-linux_aarch64" } },
            new() { File = "torchvision-0.12.0-cp38-cp38-linux_aarch64.whl", Package = "torchvision", Version = "0.12.0", Torch = "1.11.0", Tags = { "cp38-cp38-linux_aarch64" }, Requires = { "numpy<2" } },
            new() { File = "numpy-1.24.4-cp38-cp38-linux_aarch64.whl", Package = "numpy", Version = "1.24.4", Tags = { "cp38-cp38-linux_aarch64" } },
            new() { File = "numpy-2.0.0-cp38-cp38-linux_aarch64.whl", Package = "numpy", Version = "2.0.0", Tags = { "cp38-cp38-linux_aarch64" } },
        };

        [Fact]
        public void Jetson_gets_the_wheel_built_for_its_L4T_others_the_plain_one()
        {
            var pi = WheelSelector.Select(Catalog(), Device("pi5", "raspberrypi5"), "torch", null, new[] { "torchvision" }, "cat");
            Assert.Equal("torch-2.1.0-cp38-cp38-manylinux2014_aarch64.whl", pi.Main.File);
            Assert.Equal("0.16.0", pi.Companions.Single().Version);

            var nano = WheelSelector.Select(Catalog(), Device("nano", "jetson-nano", "32.7.1", "10.2.300"), "torch", null, new[] { "torchvision" }, "cat");
            Assert.Equal("jp461/torch-1.11.0-cp38-cp38-linux_aarch64.whl", nano.Main.File);
            Assert.Equal("0.12.0", nano.Companions.Single().Version);
            Assert.Equal(new[] { "numpy<2" }, nano.Requirements);
            Assert.Equal("numpy-1.24.4-cp38-cp38-linux_aarch64.whl", nano.Supporting.Single().File);

            var orin = WheelSelector.Select(Catalog(), Device("orin", "jetson-orin", "35.3.1", "11.4.315"), "torch", null, null, "cat");
            Assert.Equal("2.0.0a0+nv23.05", orin.Main.Version);   // JetPack 5.1.1 through L4T 35.3.1
        }

        [Fact]
        public void Nothing_fits_lists_what_the_device_needs_and_what_the_catalog_has()
        {
            var e = Assert.Throws<EdgeOpsException>(() =>
                WheelSelector.Select(Catalog(), Device("nano", "jetson-nano", "32.6.1", null), "torch", "1.11.*", null, "s3://team/torch/catalog.yaml"));
            Assert.Equal("WheelNotFound", e.ErrorId);
            Assert.Contains("nano: no torch wheel in s3://team/torch/catalog.yaml", e.Message);
            Assert.Contains("L4T 32.6.1", e.Message);
            Assert.Contains("cp38-cp38-manylinux_2_31_aarch64", e.Message);
            Assert.Contains("version 1.11.*", e.Message);
            Assert.Contains("torch-2.1.0-cp38-cp38-manylinux2014_aarch64.whl (version 2.1.0 is not the requested 1.11.*)", e.Message);
            Assert.Contains("torch-1.11.0-cp38-cp38-linux_aarch64.whl (built for L4T 32.7.* but the device has L4T 32.6.1)", e.Message);
            Assert.Contains("torch-2.1.0-cp311-cp311-linux_x86_64.whl (version 2.1.0 is not the requested 1.11.*)", e.Message);

            var c = Assert.Throws<EdgeOpsException>(() =>
                WheelSelector.Select(Catalog(), Device("pi", "raspberrypi4"), "torch", null, new[] { "torchaudio" }, "cat"));
            Assert.Contains("no torchaudio wheel", c.Message);
            Assert.Contains("has no torchaudio wheel at all", c.Message);
        }

        [Fact]
        public void Device_kind_and_cuda_constraints()
        {
            var cat = new List<WheelEntry>
            {
                new() { File = "torch-2.1.0-cp38-cp38-linux_aarch64.whl", Package = "torch", Version = "2.1.0", Tags = { "cp38-cp38-linux_aarch64" }, Devices = { "raspberrypi5" } },
            };
            Assert.NotNull(WheelSelector.Select(cat, Device("pi5", "raspberrypi5"), "torch", null, null, "c").Main);
            var e = Assert.Throws<EdgeOpsException>(() => WheelSelector.Select(cat, Device("pi4", "raspberrypi4"), "torch", null, null, "c"));
            Assert.Contains("built for raspberrypi5 but the device is raspberrypi4", e.Message);
            cat[0].Devices.Clear();
            cat[0].Cuda = "11.4";
            var n = Assert.Throws<EdgeOpsException>(() => WheelSelector.Select(cat, Device("nano", "jetson-nano", "32.7.1", "10.2.300"), "torch", null, null, "c"));
            Assert.Contains("built for CUDA 11.4 but the device has CUDA 10.2.300", n.Message);
        }

        [Fact]
        public void Probe_output_is_parsed()
        {
            var p = DevicePython.Parse("python=3.6.9\nexecutable=/usr/bin/python3\nvenv=0\nplatform=linux-aarch64\nwritable=0\nexternally_managed=0\n" +
                                       "installed.torch=1.10.0\ninstalled.torchvision=\ntag=cp36-cp36m-linux_aarch64\ntag=py3-none-any\n" +
                                       "l4t=# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64\ncuda=CUDA Version 10.2.300\n");
            Assert.Equal("linux_aarch64", p.Platform);
            Assert.Equal("32.7.1", p.L4T);
            Assert.Equal("4.6.1", p.JetPack);
            Assert.Equal("10.2.300", p.Cuda);
            Assert.Equal("1.10.0", p.InstalledVersion("torch"));
            Assert.Null(p.InstalledVersion("torchvision"));
            Assert.Equal(2, p.Tags.Count);
            Assert.Equal("11.4.315", DevicePython.ParseCuda("{ \"cuda\" : { \"name\" : \"CUDA SDK\", \"version\" : \"11.4.315\" } }"));
        }
    }
}

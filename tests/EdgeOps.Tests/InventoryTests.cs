using System.Management.Automation;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    public class InventoryTests : IDisposable
    {
        readonly string _dir = Directory.CreateTempSubdirectory("edgeops-inv-").FullName;
        readonly PowerShellSession _ps = new();
        public void Dispose() { _ps.Dispose(); Directory.Delete(_dir, true); }

        string Write(string yaml, string name = "fleet.yaml")
        {
            var p = Path.Combine(_dir, name);
            File.WriteAllText(p, yaml);
            return p;
        }

        const string Good = """
            defaults:
              user: pi
              port: 1
              sudo: nopasswd
              identityFile: keys/id_ed25519
            devices:
              - name: pi4-01
                host: 127.0.0.1
                kind: raspberrypi4
                tags: [lab, pi4]
                vars: { room: B12, rack: "3" }
              - name: pi5-01
                host: 127.0.0.1
                kind: raspberrypi5
                port: 22
                tags: [lab, pi5]
              - name: jetson-01
                host: 127.0.0.1
                kind: jetson-nano
                user: nvidia
                sudo: password
                proxyJump: pi@bastion:2200
                tags: [jetson]
            """;

        [Fact]
        public void Reads_devices_with_defaults_overrides_and_free_form_properties()
        {
            var path = Write(Good);
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0]", path);
            Assert.Empty(r.Errors);
            Assert.Equal(3, r.Output.Count);
            var pi4 = r.Output[0];
            Assert.Equal("pi4-01", pi4.Properties["ComputerName"].Value);
            Assert.Equal(1, pi4.Properties["Port"].Value);
            Assert.Equal("pi", pi4.Properties["UserName"].Value);
            Assert.Equal(Path.Combine(_dir, "keys", "id_ed25519"), pi4.Properties["IdentityFile"].Value);
            var vars = Assert.IsType<PSObject>(pi4.Properties["Vars"].Value);
            Assert.Equal("B12", vars.Properties["room"].Value);
            Assert.Equal("3", vars.Properties["rack"].Value);
            Assert.Null(pi4.Properties["room"]);          // no free-form key at the top, where it could bind to a parameter
            Assert.Null(r.Output[1].Properties["Vars"]);
            Assert.Equal("lab,pi4", pi4.Properties["Tags"].Value);
            Assert.Equal(22, r.Output[1].Properties["Port"].Value);
            var j = r.Output[2];
            Assert.Equal("nvidia", j.Properties["UserName"].Value);
            Assert.Equal("password", j.Properties["SudoMode"].Value);
            Assert.Equal("pi@bastion:2200", j.Properties["ProxyJump"].Value);
            Assert.Equal("jetson-nano", j.Properties["Kind"].Value);
        }

        [Fact]
        public void Filters_by_name_wildcard_and_tag()
        {
            var path = Write(Good);
            Assert.Equal(new[] { "pi4-01", "pi5-01" }, _ps.Run("Get-EdgeDevice $args[0] -Name 'pi*'", path).Output.Select(o => o.Properties["ComputerName"].Value));
            Assert.Equal(new[] { "jetson-01" }, _ps.Run("Get-EdgeDevice $args[0] -Tag jetson", path).Output.Select(o => o.Properties["ComputerName"].Value));
            Assert.Empty(_ps.Run("Get-EdgeDevice $args[0] -Name nothing*", path).Output);
        }

        [Theory]
        [InlineData("devices:\n  - name: a\n    host: h\n  - name: A\n    host: h2\n", 4, "duplicate device name 'A'")]
        [InlineData("devices:\n  - name: a\n    kind: raspberrypi4\n", 2, "has no 'host'")]
        [InlineData("devices:\n  - name: a\n    host: h\n    hostname: x\n", 4, "unknown key 'hostname': did you mean 'host'?")]
        [InlineData("devices:\n  - name: a\n    host: h\n    room: B12\n", 4, "unknown key 'room': the keys are name, host")]
        [InlineData("devices:\n  - name: a\n    host: h\n    vars: [x]\n", 4, "'vars' must be a mapping")]
        [InlineData("defaults:\n  usr: pi\ndevices:\n  - name: a\n    host: h\n", 2, "unknown key 'usr': did you mean 'user'?")]
        [InlineData("devices:\n  - name: a\n    host: h\n    identityfile: x\n", 4, "did you mean 'identityFile'")]
        [InlineData("devices:\n  - name: a\n    host: h\n    kind: pi9\n", 4, "'kind' must be one of")]
        [InlineData("devices:\n  - name: a\n    host: h\n    port: abc\n", 4, "'port' must be a number")]
        [InlineData("devices:\n  - name: a\n    host: h\n    sudo: always\n", 4, "'sudo' must be one of")]
        [InlineData("devices:\n  - name: a\n   host: [unclosed\n", 3, "not valid YAML")]
        [InlineData("fleet:\n  - name: a\n", 1, "unknown top-level key 'fleet'")]
        [InlineData("defaults:\n  kexAlgorithms: curve25519-sha256,diffie-hellman-group99\ndevices:\n  - name: a\n    host: h\n", 2, "unsupported key exchange algorithm 'diffie-hellman-group99'. Use names from this list: ")]
        [InlineData("devices:\n  - name: a\n    host: h\n    kexAlgorithms: '-*'\n", 4, "removes every key exchange algorithm")]
        [InlineData("devices:\n  - name: a\n    host: h\n    kexAlgorithms: 'curve25519-sha256,,x'\n", 4, "has an empty name")]
        public void Bad_files_name_file_line_and_problem(string yaml, int line, string what)
        {
            var path = Write(yaml);
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0]", path);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Contains(path + ":" + line + ":", e.ToString());
            Assert.Contains(what, e.ToString());
            Assert.Equal("InventoryInvalid", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        }

        [Fact]
        public void A_proxyJump_loop_is_an_error_that_names_the_devices_in_it()
        {
            var path = Write("devices:\n  - name: edge-a\n    host: h1\n    proxyJump: edge-b\n  - name: edge-b\n    host: h2\n    proxyJump: edge-c\n" +
                             "  - name: edge-c\n    host: h3\n    proxyJump: edge-a\n");
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0]", path);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("InventoryInvalid", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains($"{path}:4: 'proxyJump' goes round in a loop: edge-a -> edge-b -> edge-c -> edge-a.", e.ToString());
            // a device that names itself is a loop too; a jump host named in 'defaults' is not its own jump host
            var self = Write("devices:\n  - name: edge-a\n    host: h1\n    proxyJump: EDGE-A\n");
            Assert.Contains("edge-a -> edge-a", Assert.Single(_ps.Run("Get-EdgeDevice -Inventory $args[0]", self).Errors).ToString());
            var viaDefaults = Write("defaults:\n  proxyJump: bastion\ndevices:\n  - name: bastion\n    host: h0\n  - name: edge-a\n    host: h1\n");
            var ok = _ps.Run("Get-EdgeDevice -Inventory $args[0]", viaDefaults);
            Assert.Empty(ok.Errors);
            Assert.Null(ok.Output[0].Properties["JumpHost"].Value);
            Assert.Equal("h0", ((PSObject)PSObject.AsPSObject(ok.Output[1].Properties["JumpHost"].Value)).Properties["HostName"].Value);
        }

        [Fact]
        public void A_proxyJump_is_resolved_to_the_jump_hosts_connection_data_when_the_inventory_is_read()
        {
            var path = Write("defaults:\n  user: pi\ndevices:\n  - name: outer\n    host: 10.0.0.1\n    port: 2201\n    user: ops\n    identityFile: keys/outer\n    ciphers: aes256-ctr\n" +
                             "  - name: inner\n    host: 10.0.0.2\n    proxyJump: outer\n  - name: edge\n    host: 10.0.0.3\n    proxyJump: inner\n" +
                             "  - name: listed\n    host: 10.0.0.4\n    proxyJump: 'outer,admin@10.0.0.9:2209'\n");
            // only 'edge' comes out: its jump hosts travel on it, whether or not they were ever returned
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0] -Name edge, listed", path);
            Assert.Empty(r.Errors);
            PSObject P(object o) => PSObject.AsPSObject(o);
            var inner = P(r.Output[0].Properties["JumpHost"].Value);
            Assert.Equal(("inner", "10.0.0.2", "pi"), ((string)inner.Properties["ComputerName"].Value, (string)inner.Properties["HostName"].Value, (string)inner.Properties["UserName"].Value));
            var outer = P(inner.Properties["JumpHost"].Value);
            Assert.Equal(("10.0.0.1", 2201, "ops", "aes256-ctr"), ((string)outer.Properties["HostName"].Value, (int)outer.Properties["Port"].Value,
                (string)outer.Properties["UserName"].Value, (string)outer.Properties["Ciphers"].Value));
            Assert.Equal(Path.Combine(_dir, "keys", "outer"), outer.Properties["IdentityFile"].Value);
            Assert.Null(outer.Properties["JumpHost"].Value);
            // a comma list goes through its hops in order: outer first, then admin@10.0.0.9:2209
            var last = P(r.Output[1].Properties["JumpHost"].Value);
            Assert.Equal(("10.0.0.9", 2209, "admin"), ((string)last.Properties["HostName"].Value, (int)last.Properties["Port"].Value, (string)last.Properties["UserName"].Value));
            Assert.Equal("outer", P(last.Properties["JumpHost"].Value).Properties["ComputerName"].Value);
        }

        [Fact]
        public void Typos_prot_usr_and_tag_fail_naming_each_key_and_its_line()
        {
            var path = Write("devices:\n  - name: a\n    host: h\n    prot: 2222\n    usr: nvidia\n    tag: [lab]\n");
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0]", path);
            Assert.Empty(r.Output);
            var text = Assert.Single(r.Errors).ToString();
            Assert.Contains("3 problems", text);
            Assert.Contains($"{path}:4: unknown key 'prot': did you mean 'port'?", text);
            Assert.Contains($"{path}:5: unknown key 'usr': did you mean 'user'?", text);
            Assert.Contains($"{path}:6: unknown key 'tag': did you mean 'tags'?", text);
            // a missing 'host' caused by a typo is said with the typo
            path = Write("devices:\n  - name: a\n    hots: h\n", "hots.yaml");
            text = Assert.Single(_ps.Run("Get-EdgeDevice -Inventory $args[0]", path).Errors).ToString();
            Assert.Contains("unknown key 'hots': did you mean 'host'?", text);
            Assert.Contains("has no 'host'", text);
        }

        [Fact]
        public void A_literal_name_that_matches_nothing_is_an_error_a_wildcard_is_silent_an_empty_inventory_warns()
        {
            var path = Write(Good);
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0] -Name pi4-01, nosuch", path);
            Assert.Equal("pi4-01", Assert.Single(r.Output).Properties["ComputerName"].Value);
            var e = Assert.Single(r.Errors);
            Assert.Equal("DeviceNotInInventory", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("nosuch", e.ToString());
            Assert.Contains("jetson-01", e.ToString());          // the names it has
            Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);

            r = _ps.Run("Get-EdgeDevice -Inventory $args[0] -Name 'nosuch*'", path);
            Assert.Empty(r.Output);
            Assert.Empty(r.Errors);
            Assert.Empty(r.Warnings);

            r = _ps.Run("Get-EdgeDevice -Inventory $args[0] -Tag lab, labb", path);
            Assert.Equal(2, r.Output.Count);
            Assert.Contains(r.Warnings, w => w.Contains("tag 'labb'") && w.Contains("jetson, lab, pi4, pi5"));

            var empty = Write("devices: []\n", "empty.yaml");
            r = _ps.Run("Get-EdgeDevice -Inventory $args[0]", empty);
            Assert.Empty(r.Output);
            Assert.Contains(r.Warnings, w => w.Contains("has no devices"));
            // ... and an empty inventory piped on is no device at all: nothing runs anywhere
            r = _ps.Run("Get-EdgeDevice -Inventory $args[0] | Invoke-EdgeCommand -Command 'touch /tmp/edgeops-empty-canary'", empty);
            Assert.Empty(r.Output);
            Assert.False(File.Exists("/tmp/edgeops-empty-canary"));
        }

        [Fact]
        public void Missing_file_says_which_and_what_to_do()
        {
            var e = Assert.Single(_ps.Run("Get-EdgeDevice -Inventory $args[0]", Path.Combine(_dir, "nope.yaml")).Errors);
            Assert.Contains("nope.yaml", e.ToString());
            Assert.Contains("does not exist", e.ToString());
            Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        }

        [Fact]
        public void Hostile_names_are_data()
        {
            var path = Write("devices:\n  - name: \"pi 'x'; $(touch /tmp/edgeops-canary)\"\n    host: \"h`x`\"\n");
            var r = _ps.Run("Get-EdgeDevice -Inventory $args[0]", path);
            Assert.Equal("pi 'x'; $(touch /tmp/edgeops-canary)", r.Output.Single().Properties["ComputerName"].Value);
            Assert.False(File.Exists("/tmp/edgeops-canary"));
        }

        [Fact]
        public void Devices_bind_by_property_name_from_csv_like_objects_and_registry()
        {
            var path = Write(Good);
            _ps.Run("Get-EdgeDevice -Inventory $args[0] | Out-Null", path);
            // A result of another cmdlet carries only ComputerName: the registry restores the connection details.
            // pi4-01 is 127.0.0.1 port 1 (nothing listens): the error's target shows the restored details.
            var r = _ps.Run("[pscustomobject]@{ ComputerName = 'pi4-01' } | Test-EdgeDevice -ConnectTimeout 2");
            var e = Assert.Single(r.Errors);
            var target = Assert.IsType<EdgeDevice>(e.TargetObject);
            Assert.Equal(("pi4-01", "127.0.0.1", 1, "raspberrypi4"), (target.ComputerName, target.HostName, target.Port, target.Kind));
            // the inventory's identity file (restored too) does not exist: a clear error before any connection
            Assert.Equal("SshIdentityNotFound", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains(Path.Combine(_dir, "keys", "id_ed25519"), e.ToString());
            Assert.Contains("pi4-01", e.ToString());
            // Tab completion of device names
            var completions = _ps.Run("(TabExpansion2 -inputScript 'Test-EdgeDevice -ComputerName pi' -cursorColumn 32).CompletionMatches.CompletionText")
                .Output.Select(o => o.ToString()).ToList();
            Assert.Contains("pi4-01", completions);
            Assert.Contains("pi5-01", completions);
            Assert.DoesNotContain("jetson-01", completions);
        }
    }
}

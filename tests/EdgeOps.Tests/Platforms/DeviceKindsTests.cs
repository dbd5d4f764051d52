using EdgeOps.Fleet;
using Xunit;

namespace EdgeOps.Tests.Platforms
{
    public class DeviceKindsTests
    {
        [Theory]
        [InlineData("Raspberry Pi 3 Model B Rev 1.2", "raspberrypi3")]
        [InlineData("Raspberry Pi 3 Model B Plus Rev 1.3", "raspberrypi3")]
        [InlineData("Raspberry Pi Compute Module 3 Plus Rev 1.0", "raspberrypi3")]
        [InlineData("Raspberry Pi 4 Model B Rev 1.4\0", "raspberrypi4")]
        [InlineData("Raspberry Pi 400 Rev 1.0", "raspberrypi4")]
        [InlineData("Raspberry Pi Compute Module 4 Rev 1.0", "raspberrypi4")]
        [InlineData("Raspberry Pi 5 Model B Rev 1.0", "raspberrypi5")]
        [InlineData("Raspberry Pi 500 Rev 1.0", "raspberrypi5")]
        [InlineData("Raspberry Pi Zero 2 W Rev 1.0", "raspberrypi-zero2")]
        [InlineData("Raspberry Pi Zero W Rev 1.1", "generic")]
        [InlineData("Raspberry Pi 2 Model B Rev 1.1", "generic")]
        [InlineData("NVIDIA Jetson Nano Developer Kit", "jetson-nano")]
        [InlineData("NVIDIA Jetson Nano 2GB Developer Kit", "jetson-nano")]
        [InlineData("NVIDIA Jetson Xavier NX Developer Kit", "jetson-xavier")]
        [InlineData("Jetson-AGX", "jetson-xavier")]
        [InlineData("NVIDIA Jetson AGX Orin Developer Kit", "jetson-orin")]
        [InlineData("NVIDIA Jetson Orin Nano Developer Kit", "jetson-orin")]
        [InlineData("NVIDIA Jetson Orin NX Engineering Reference Developer Kit", "jetson-orin")]
        [InlineData("Radxa ROCK 5B", "generic")]
        [InlineData("", null)]
        [InlineData(null, null)]
        public void Device_tree_model_names_the_kind(string? model, string? kind) => Assert.Equal(kind, DeviceKinds.FromModel(model!));

        [Fact]
        public void Known_kinds_are_one_list_that_the_inventory_and_detection_share()
        {
            Assert.Equal(new[] { "raspberrypi3", "raspberrypi4", "raspberrypi5", "raspberrypi-zero2", "jetson-nano", "jetson-xavier", "jetson-orin", "generic" },
                         DeviceKinds.Known);
            foreach (var k in DeviceKinds.Known) Assert.True(DeviceKinds.IsKnown(k));
            Assert.False(DeviceKinds.IsKnown("RaspberryPi4"));
            Assert.False(DeviceKinds.IsKnown(null!));
            // what detection can answer is always a kind an inventory accepts
            foreach (var model in new[] { "Raspberry Pi 4 Model B Rev 1.4", "NVIDIA Jetson AGX Orin Developer Kit", "Pine64 RockPro64" })
                Assert.True(DeviceKinds.IsKnown(DeviceKinds.FromModel(model)));

            var dir = Directory.CreateTempSubdirectory("edgeops-kinds-").FullName;
            try
            {
                var inv = Path.Combine(dir, "fleet.yaml");
                File.WriteAllText(inv, "devices:\n" + string.Concat(DeviceKinds.Known.Select((k, i) => $"  - {{ name: d{i}, host: 10.9.9.{i + 1}, kind: {k} }}\n")));
                Assert.Equal(DeviceKinds.Known, Inventory.Load(inv).Select(e => e.Device.Kind));
                File.WriteAllText(inv, "devices:\n  - { name: orin, host: 10.9.9.1, kind: jetson-agx }\n");
                var e = Assert.Throws<InventoryException>(() => Inventory.Load(inv));
                Assert.Contains("jetson-orin", e.Message);
                Assert.Contains("'jetson-agx'", e.Message);
            }
            finally { Directory.Delete(dir, true); }
        }
    }
}

# The ReadyToRun builds (build/ReadyToRun): on .NET 10 / linux-x64 the module's load context takes the engine and the
# libraries a device operation runs through from Dependencies/core/net10.0-linux-x64/, precompiled, so a new pwsh does
# not JIT-compile them (issue 16: most of a first backup's controller CPU was the JIT). Elsewhere nothing changes.
BeforeDiscovery {
    $readyToRunHere = [Environment]::Version.Major -eq 10 -and $IsLinux -and
        [Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq [Runtime.InteropServices.Architecture]::X64
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot TestKit.psm1) -Force
    $module = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../../out/module/EdgeOps))
    $r2r = Join-Path $module Dependencies/core/net10.0-linux-x64
    $temp = Join-Path ([IO.Path]::GetTempPath()) "edgeops r2r '$(New-Guid)'"
    New-Item -ItemType Directory -Path $temp | Out-Null
    $dotnet = (Get-Process -Id $PID).Path
    $pwshDll = Join-Path $PSHOME pwsh.dll
    $inventory = Join-Path $temp 'inventory $(x).yaml'
    Set-Content -LiteralPath $inventory -Value (@('devices:') + (1..40 | ForEach-Object { "  - name: pi-$_", "    host: 10.0.0.$_", "    user: pi", "    kind: RaspberryPi4", "    tags: [lab, 'shelf $_']" }))
    # A fresh pwsh imports a module folder and reads the inventory; prints the methods JIT-compiled on its pipeline thread
    # while it read it (not PowerShell's own Import-Module, nor the runtime's background recompiles), then where the engine
    # and its YAML library were loaded from.
    $probe = Join-Path $temp probe.ps1
    Set-Content -LiteralPath $probe -Value @'
param($Module, $Inventory)
Import-Module $Module -ErrorAction Stop
$m0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($true)
$null = Get-EdgeDevice -Inventory $Inventory -ErrorAction Stop
[System.Runtime.JitInfo]::GetCompiledMethodCount($true) - $m0
[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'EdgeOps.Engine', 'YamlDotNet' } | ForEach-Object Location | Sort-Object
'@
    function Invoke-Probe([string] $ModuleDir) {
        $r = Invoke-Process -File $dotnet -Arguments $pwshDll, '-NoProfile', '-NonInteractive', '-File', $probe, (Join-Path $ModuleDir EdgeOps.psd1), $inventory -WorkingDirectory $temp
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r
    }
}

AfterAll { Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'ReadyToRun builds for .NET 10 on linux-x64' {
    It 'are ReadyToRun images of the very assemblies they stand in for' {
        $files = @(Get-ChildItem -LiteralPath $r2r -Filter *.dll)
        $files.Name | Sort-Object | Should -Be @('BouncyCastle.Cryptography.dll', 'EdgeOps.Engine.dll', 'Renci.SshNet.dll', 'System.IO.Hashing.dll', 'YamlDotNet.dll', 'ZstdSharp.dll')
        foreach ($f in $files) {
            $stream = [IO.File]::OpenRead($f.FullName)
            try {
                $pe = [Reflection.PortableExecutable.PEReader]::new($stream)
                # an IL-only assembly has no managed native header; a ReadyToRun image points it at its READYTORUN_HEADER
                $pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size | Should -BeGreaterThan 0 -Because "$($f.Name) is precompiled"
            }
            finally { $stream.Dispose() }
            $il = @((Join-Path $module Dependencies/core $f.Name), (Join-Path $module Dependencies $f.Name)) | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
            $il | Should -Not -BeNullOrEmpty -Because "$($f.Name) has an IL build beside it for every other runtime"
            [Reflection.AssemblyName]::GetAssemblyName($f.FullName).FullName | Should -Be ([Reflection.AssemblyName]::GetAssemblyName($il).FullName)
        }
    }

    It 'are what a new pwsh loads, and reading an inventory JIT-compiles hundreds of methods fewer than with the IL builds alone (the rest is PowerShell binding the cmdlet)' -Skip:(-not $readyToRunHere) {
        # the control: the same module without the folder, so the check below can fail
        $plain = Join-Path $temp 'EdgeOps plain'
        Copy-Item -LiteralPath $module -Destination $plain -Recurse
        Remove-Item -LiteralPath (Join-Path $plain Dependencies/core/net10.0-linux-x64) -Recurse
        # three fresh processes each: on a busy machine the runtime compiles more on the way, never less, so the fewest counts
        $with = 1..3 | ForEach-Object { Invoke-Probe $module }
        $without = 1..3 | ForEach-Object { Invoke-Probe $plain }
        $with[0].Lines[1..2] | Should -Be @((Join-Path $r2r EdgeOps.Engine.dll), (Join-Path $r2r YamlDotNet.dll))
        $without[0].Lines[1] | Should -Be (Join-Path $plain Dependencies/EdgeOps.Engine.dll)
        $fewestWith = ($with | ForEach-Object { [int] $_.Lines[0] } | Measure-Object -Minimum).Minimum
        $fewestWithout = ($without | ForEach-Object { [int] $_.Lines[0] } | Measure-Object -Minimum).Minimum
        # quiet: about 1,000 against 1,900; late in a full suite run 1,400 against 1,860 (the ReadyToRun methods are never
        # compiled, what else the runtime compiles on the way varies); with the IL builds alone both sides are the same
        $fewestWith | Should -BeLessThan ($fewestWithout - 200) -Because "JIT-compiled methods: $($with.ForEach({ $_.Lines[0] }) -join ', ') with the ReadyToRun builds, $($without.ForEach({ $_.Lines[0] }) -join ', ') without"
    }
}

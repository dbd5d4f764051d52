# The package PowerShell users install: ./build.ps1 -Package writes out/EdgeOps.<version>.nupkg in the gallery's
# layout; a fresh pwsh installs it from a local folder repository with PSResourceGet and runs it against a
# simulated device. HOME, XDG folders and PSModulePath point into a temp folder, so neither the machine's module
# path nor its PSResourceGet repository list is touched.
BeforeDiscovery { Import-Module (Join-Path $PSScriptRoot TestKit.psm1) -Force; $fleetAvailable = Test-FleetAvailable }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot TestKit.psm1) -Force
    $root = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../..))
    $version = (Import-PowerShellDataFile (Join-Path $root EdgeOps.psd1)).ModuleVersion
    $nupkg = Join-Path $root "out/EdgeOps.$version.nupkg"
    function Get-MachineEdgeOps { @($env:PSModulePath -split [IO.Path]::PathSeparator | ForEach-Object { Join-Path $_ EdgeOps } | Where-Object { Test-Path $_ } | Get-ChildItem -Recurse -File | ForEach-Object { "$($_.FullName) $($_.Length) $($_.LastWriteTimeUtc.Ticks)" }) }
    $machineBefore = Get-MachineEdgeOps
    $temp = Join-Path ([IO.Path]::GetTempPath()) "edgeops package 'test' $(New-Guid)"
    New-Item -ItemType Directory -Path $temp | Out-Null
    # this pwsh: the .NET tool's pwsh.dll, run by the same dotnet
    $dotnet = (Get-Process -Id $PID).Path
    $pwshDll = Join-Path $PSHOME pwsh.dll
    $buildLog = Join-Path $temp build.log
    & $dotnet $pwshDll -NoProfile -NonInteractive -File (Join-Path $root build.ps1) -Package -SkipTests *> $buildLog
    $buildExit = $LASTEXITCODE

    # Runs a script in a fresh pwsh (this pwsh's own build) whose home and module path are in $temp.
    function Invoke-FreshPwsh([string] $Script, [string] $WorkingDirectory, [hashtable] $Environment = @{}) {
        $vars = @{ HOME = (Join-Path $temp home); XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null
            PSModulePath = (Join-Path $temp 'machine modules') }   # stands in for the machine's path: stays empty
        foreach ($k in $Environment.Keys) { $vars[$k] = $Environment[$k] }
        Invoke-Process -File $dotnet -Arguments $pwshDll, '-NoProfile', '-NonInteractive', '-Command', $Script -WorkingDirectory $WorkingDirectory -Environment $vars
    }
}

AfterAll { Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue }

Describe './build.ps1 -Package' {
    It 'writes out/EdgeOps.<version>.nupkg with the module folder at the package root' {
        $buildExit | Should -Be 0 -Because ((Get-Content $buildLog -Tail 30) -join "`n")
        $nupkg | Should -Exist
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        $entries | Should -Contain 'EdgeOps.nuspec'
        $entries | Should -Contain 'EdgeOps.psd1'
        $entries | Should -Contain 'EdgeOps.dll'
        $entries | Should -Contain 'en-US/EdgeOps.dll-Help.xml'
        $entries | Should -Contain 'Dependencies/EdgeOps.Engine.dll'
        $entries | Should -Contain 'Dependencies/core/Renci.SshNet.dll'
        $entries | Should -Contain 'runners/linux-x64/edgeops-runner'
        $entries | Should -Contain 'runners/linux-arm64/edgeops-runner'
        $entries | Where-Object { $_ -like '*System.Management.Automation.dll' } | Should -BeNullOrEmpty
    }
}

Describe 'Install-PSResource from a local folder repository' -Skip:(-not $fleetAvailable) {
    BeforeAll {
        $fleet = Start-TestFleet -Count 1
        # README's install steps, verbatim, in a folder whose out/ holds the package
        $readme = Get-Content (Join-Path $root README.md) -Raw
        $install = [regex]::Match($readme, '(?s)With your own pwsh.*?```powershell\r?\n(.*?)```').Groups[1].Value
        $work = Join-Path $temp 'work'
        New-Item -ItemType Directory -Path (Join-Path $work out) | Out-Null
        Copy-Item $nupkg (Join-Path $work out)
        $result = Invoke-FreshPwsh -WorkingDirectory $work -Environment @{ EDGEOPS_INVENTORY = $fleet.Inventory } -Script ("`$ErrorActionPreference = 'Stop'`n" + $install + @'
$m = Get-Module EdgeOps
"module|$($m.Version)|$($m.ModuleBase)"
Get-EdgeDevice -Inventory $env:EDGEOPS_INVENTORY | Test-EdgeDevice | ForEach-Object { "test|$($_.ComputerName)|$($_.Authenticated)|$($_.Cipher)" }
Get-EdgeDevice -Inventory $env:EDGEOPS_INVENTORY | Invoke-EdgeCommand -Command 'cat /etc/hostname' | ForEach-Object { "cmd|$($_.ComputerName)|$($_.Stdout.Trim())" }
# the package's own runner (runners/linux-x64), copied to the device: the bundled FP32 and INT8 samples
Get-EdgeDevice -Inventory $env:EDGEOPS_INVENTORY | Invoke-EdgeBenchmark -Runs 20 -WarmupRuns 2 | ForEach-Object { "bench|$($_.ComputerName)|$($_.Precision)|$($_.Runs)|$([int]($_.MedianMs -gt 0))" }
'@)
        $lines = $result.Lines | ForEach-Object Trim
    }
    AfterAll { Stop-TestFleet $fleet }

    It "README's install steps install into the (temp) home, not the machine module path" {
        $install | Should -Match 'Install-PSResource'
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        $module = $lines | Where-Object { $_ -like 'module|*' }
        $module | Should -HaveCount 1
        $parts = $module.Split('|')
        $parts[1] | Should -Be $version
        $parts[2] | Should -BeLike (Join-Path $temp 'home/*/EdgeOps/*')
        Get-ChildItem (Join-Path $temp 'machine modules') -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'the installed module talks to a simulated device over SSH' {
        $d = $fleet.Devices[0]
        $lines | Should -Contain "test|$($d.Name)|True|aes128-gcm@openssh.com"
        $lines | Should -Contain "cmd|$($d.Name)|$($d.Name)"
    }

    It 'benchmarks on the device with the runner the package carries' {
        $d = $fleet.Devices[0]
        $bench = @($lines | Where-Object { $_ -like 'bench|*' })
        $bench | Should -HaveCount 2
        $bench | Should -Contain "bench|$($d.Name)|FP32|20|1"
        $bench | Should -Contain "bench|$($d.Name)|INT8|20|1"
    }

    It 'left the real module path alone' {
        (Get-MachineEdgeOps) -join "`n" | Should -Be ($machineBefore -join "`n")
    }
}

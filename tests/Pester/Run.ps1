<#
.SYNOPSIS
    Runs the Pester tests of the module's contract (tests/Pester/*.Tests.ps1) with Pester 6.2.0 from its NuGet
    package, and writes "passed failed skipped" to -CountsFile for test.sh's summary line.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Pester/Run.ps1 -FullNameFilter '*completion*'
#>
param(
    [string] $CountsFile,
    [string[]] $FullNameFilter,
    [string] $ResultsFile
)
$ErrorActionPreference = 'Stop'
# Pester comes from the NuGet package the test project downloads (tests/EdgeOps.Tests/EdgeOps.Tests.csproj).
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
$pester = Join-Path $packages 'pester/6.2.0/tools/Pester.psd1'
if (-not (Test-Path $pester)) { throw "Pester 6.2.0 is not restored at ${pester}: run 'dotnet restore tests/EdgeOps.Tests' (./test.sh does)." }
Import-Module $pester -RequiredVersion 6.2.0 -ErrorAction Stop

$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($FullNameFilter) { $config.Filter.FullName = @($FullNameFilter -split ',') }   # one comma-separated argument from test.sh
if ($ResultsFile) { $config.TestResult.Enabled = $true; $config.TestResult.OutputFormat = 'NUnitXml'; $config.TestResult.OutputPath = $ResultsFile }
$result = Invoke-Pester -Configuration $config
# A container that fails outside its tests (BeforeAll, a parse error) counts as a failure too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
if ($CountsFile) { "$($result.PassedCount) $failed $($result.SkippedCount)" | Set-Content $CountsFile }
if ($failed -gt 0) { exit 1 }

<#
.SYNOPSIS
Benchmark models on every device (FP32 against INT8, against the edge budget) and keep the numbers.

.DESCRIPTION
Runs under any pwsh 7.2+ with EdgeOps installed, or ./edgeops -File (the repo's pwsh 7.6.10 .NET tool).
Without -Model the bundled sample models (random weights) are used.

.EXAMPLE
pwsh -File examples/benchmark-to-csv.ps1 -Inventory ./fleet.yaml -Model ./sample-mobilenet.onnx, ./sample-mobilenet.int8.onnx -Csv ./bench.csv
#>
param(
    [string] $Inventory = [IO.Path]::Combine($PSScriptRoot, 'fleet.yaml'),
    [string[]] $Model,
    [string] $Csv = './bench.csv',
    [string] $Report = './bench.html'
)
if (-not (Get-Module EdgeOps)) { Import-Module EdgeOps -ErrorAction Stop }

$budget = @{ MaxMedianMs = 15; MaxModelBytes = 5MB }
$params = @{}
if ($Model) { $params.Model = $Model }
$results = Get-EdgeDevice -Inventory $Inventory | Invoke-EdgeBenchmark @params @budget -Runs 200
$results | Export-Csv -Path $Csv -NoTypeInformation -Append
$results | Export-EdgeBenchmarkReport -Path $Report
$results | Where-Object { -not $_.Passed } | Format-Table ComputerName, Model, Precision, MedianMs, FailedBudgets

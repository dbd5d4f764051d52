# ./edgeops: real pwsh 7.6.10 (the repo's .NET tool) with the built module imported; the sample benchmark is the
# default job; -Command and -File; exit codes. Each case is a new process, as a user runs it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot TestKit.psm1) -Force
    $edgeops = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../../edgeops))
    $dir = Join-Path ([IO.Path]::GetTempPath()) "edgeops cli '$(New-Guid)'"
    New-Item -ItemType Directory -Path $dir | Out-Null
    function Invoke-Edgeops([string[]] $Arguments) {
        Invoke-Process -File $edgeops -Arguments $Arguments -WorkingDirectory $dir -Environment @{ NO_COLOR = '1' }
    }
}

AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

Describe './edgeops' {
    It 'with no arguments benchmarks the bundled FP32 and INT8 samples against the edge budget (the main job)' {
        $r = Invoke-Edgeops @()
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Lines[0] | Should -Match '^ComputerName\s+Model\s+Precision'
        @($r.Lines | Where-Object { $_ -match '\bsample-mobilenet\.onnx\b.*\bFP32\b' }) | Should -HaveCount 1
        @($r.Lines | Where-Object { $_ -match '\bsample-mobilenet\.int8\.onnx\b.*\bINT8\b' }) | Should -HaveCount 1
    }

    It 'runs in pwsh 7.6.10 with the built module imported and every built-in cmdlet (Export-Csv, Get-Credential)' {
        $r = Invoke-Edgeops '-Command', 'Get-EdgeDevice | Export-Csv x.csv; $PSVersionTable.PSVersion.ToString(); (Get-Module EdgeOps).ModuleBase; (Get-Command Get-Credential).Source; (Import-Csv x.csv).Transport'
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Lines[0] | Should -Be '7.6.10'
        $r.Lines[1] | Should -Be ([IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../../out/module/EdgeOps)))
        $r.Lines[2] | Should -Be 'Microsoft.PowerShell.Security'
        $r.Lines[3] | Should -Be 'Local'
        Join-Path $dir x.csv | Should -Exist -Because 'relative paths are the caller''s folder'
    }

    It 'prints results with the module''s table views, without colour codes when redirected' {
        $r = Invoke-Edgeops '-Command', 'Get-EdgeDevice'
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Lines[0] | Should -Match '^ComputerName\s+Kind\s+Address\s+User\s+Tags\s+Model\s+RAM\(MiB\)\s+Swap\(MiB\)'
        $r.Output | Should -Not -Match "`e\["
        $r = Invoke-Edgeops '-Command', "Invoke-EdgeCommand -Command 'echo one; echo two; echo oops >&2'"
        $r.Lines[0] | Should -Match '^ComputerName\s+ExitCode\s+Seconds\s+Stdout\s+Stderr$'
        $r.Lines | Where-Object { $_ -match 'one \.\.\. \(\+1 lines\)' -and $_ -match 'oops' } | Should -HaveCount 1
    }

    It '-Command exits 1 when any error was written, even if a later statement succeeds' {
        $r = Invoke-Edgeops '-Command', "Invoke-EdgeCommand -Command 'exit 5'; 'after'"
        $r.ExitCode | Should -Be 1
        $r.Lines | Should -Contain 'after'
        $r.Errors | Should -Match 'exited with code 5'
        (Invoke-Edgeops '-Command', "Invoke-EdgeCommand -Command 'true' | Out-Null").ExitCode | Should -Be 0
        (Invoke-Edgeops '-Command', "'a'; exit 7").ExitCode | Should -Be 7
    }

    It '-Command reports a parse error with its own line numbers and exits non-zero' {
        $r = Invoke-Edgeops '-Command', "'fine'`n'broken' +"
        $r.ExitCode | Should -Not -Be 0
        $r.Errors | Should -Match 'line:2'
    }

    It '-File runs a script with a hostile name, relative to the caller, with named arguments' {
        $name = "it's a script; `$(x).ps1"
        Set-Content -LiteralPath (Join-Path $dir $name) -Value 'param($Name, [switch] $Fail) "hello $Name"; "module $((Get-Command Get-EdgeDevice).Source)"; if ($Fail) { Invoke-EdgeCommand -Command ''exit 5''; exit 3 }'
        $r = Invoke-Edgeops '-File', $name, '-Name', "pi 'five'"
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Lines | Should -Be @("hello pi 'five'", 'module EdgeOps')
        $r = Invoke-Edgeops '-File', $name, '-Name', 'x', '-Fail'
        $r.ExitCode | Should -Be 3 -Because '-File exits with the script''s own code'
        $r.Errors | Should -Match 'exited with code 5'
    }

    It 'refuses unknown arguments with exit code 2 and says what it takes' {
        $r = Invoke-Edgeops '-Bogus'
        $r.ExitCode | Should -Be 2
        $r.Errors | Should -Match "unknown argument '-Bogus'"
        $r.Errors | Should -Match '-Command'
    }
}

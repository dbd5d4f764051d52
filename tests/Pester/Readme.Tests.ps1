# README and help, run as written against a simulated fleet (3 devices on real sshd: pi4-00 and jetson-02 with
# passwordless sudo, pi5-01 asking for a sudo password): the quick start through ./edgeops, the headline
# pipeline ending in the real Export-Csv, Import-Csv round trips in fresh processes, and the help examples that
# can run here. The commands are taken from README.md and Get-Help at run time, so an edit there is tested.
# Where a prompt would ask for a password, a PSCredential stands in for Get-Credential (no console in a test).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot TestKit.psm1) -Force
    $fleetAvailable = Test-FleetAvailable
    # help examples that run here, against the fleet in ./fleet.yaml or on this machine (read-only there).
    # Not run: those that need storage servers, Blazar, /dev/sdX readers, models or wheels this folder lacks,
    # or swap space a 192 MB simulated card does not have (the xunit fleet tests cover those cmdlets).
    $runnable = @(
        @{ Name = 'Get-EdgeDevice example 1' }
        @{ Name = 'Get-EdgeDevice example 2'; Expect = 'Jetson Nano' }
        @{ Name = 'Get-EdgeDevice example 3'; Expect = 'pi5-01' }
        @{ Name = 'Get-EdgeDevice example 4'; Expect = 'Linux' }
        @{ Name = 'Test-EdgeDevice example 1'; Expect = 'jetson-02' }
        @{ Name = 'Test-EdgeDevice example 2'; Expect = 'pi4-00' }
        @{ Name = 'Test-EdgeDevice example 3'; Expect = 'pi5-01: sudo needs a pass' }   # lists the device that failed
        @{ Name = 'Invoke-EdgeCommand example 1'; Expect = 'pi5-01' }
        @{ Name = 'Invoke-EdgeCommand example 3'; Expect = 'jetson-02' }
        @{ Name = 'Get-SwapFile example 1'; SudoDefault = $true; MaybeEmpty = $true }
        @{ Name = 'Get-SwapFile example 2'; SudoDefault = $true; Empty = $true }
        @{ Name = 'Get-SwapFile example 3'; MaybeEmpty = $true }
        @{ Name = 'Get-EdgeBuildPlan example 1'; SudoDefault = $true; Expect = 'pi4-00' }
        @{ Name = 'Invoke-EdgeBenchmark example 4'; Empty = $true; File = 'report.html'; Expect = '' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot TestKit.psm1) -Force
    $root = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot ../..))
    Import-Module (Join-Path $root out/module/EdgeOps/EdgeOps.psd1) -Force
    $readme = Get-Content (Join-Path $root README.md) -Raw
    $edgeops = Join-Path $root edgeops
    function Get-Example([string] $Name) {
        $cmdlet, $n = $Name -split ' example '
        "$(@((Get-Help $cmdlet -Full).examples.example)[[int]$n - 1].code)"
    }
    function Invoke-Edgeops([string] $Command, [switch] $SudoDefault) {
        # the stand-in for the credential prompt; the password travels in the environment, never in arguments
        $script = "function Get-Credential { [pscredential]::new('pi', (ConvertTo-SecureString `$env:EDGEOPS_TEST_PASSWORD -AsPlainText -Force)) }`n"
        # how a user with password-sudo devices runs examples that don't name -SudoCredential
        if ($SudoDefault) { $script += "`$PSDefaultParameterValues['*:SudoCredential'] = Get-Credential`n" }
        $script += $Command
        Invoke-Process -File $edgeops -Arguments '-Command', $script -WorkingDirectory $work -Environment @{ NO_COLOR = '1'; EDGEOPS_TEST_PASSWORD = $fleet.Password }
    }
    if (Test-FleetAvailable) {
        $fleet = Start-TestFleet -Count 3
        $work = Join-Path ([IO.Path]::GetTempPath()) "edgeops readme '$(New-Guid)'"
        New-Item -ItemType Directory -Path $work | Out-Null
        # README's fleet.yaml, for the simulated devices; host keys not known yet (quick start step 2 records them)
        Write-TestInventory -Fleet $fleet -Path (Join-Path $work fleet.yaml) -KnownHostsFile (Join-Path $work known_hosts) | Out-Null
        # the bundled sample models as ./sample-mobilenet.onnx and ./sample-mobilenet.int8.onnx, as README's pipeline names them
        Invoke-EdgeBenchmark -Runs 1 -WarmupRuns 0 | Out-Null
        $cache = if ($env:EDGEOPS_CACHE) { $env:EDGEOPS_CACHE } elseif ($env:XDG_CACHE_HOME) { Join-Path $env:XDG_CACHE_HOME edgeops } else { Join-Path $HOME .cache/edgeops }
        Get-ChildItem (Join-Path $cache models) -Recurse -Filter 'sample-mobilenet*.onnx' | Sort-Object FullName -Descending | Select-Object -First 2 |
            Copy-Item -Destination $work
    }
}

AfterAll {
    if ($fleet) { Stop-TestFleet $fleet }
    if ($work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'README quick start, verbatim, through ./edgeops' -Skip:(-not $fleetAvailable) {
    It 'step 2 records the host keys and checks login and sudo on every device' {
        $step = [regex]::Match($readme, '2\. First contact: `([^`]+)`').Groups[1].Value
        $step | Should -Match 'Test-EdgeDevice -AcceptNewHostKey -SudoCredential \(Get-Credential\)'
        $r = Invoke-Edgeops $step
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        foreach ($d in $fleet.Devices) {
            $r.Lines | Where-Object { $_ -match "^$($d.Name)\s+$([regex]::Escape($d.Address))\s+pi\s+Ok\s+Accepted\b" } | Should -HaveCount 1 -Because $r.Output
        }
        # ssh-keygen finds each device's key in the (hashed) known_hosts file the step wrote
        foreach ($d in $fleet.Devices) {
            $name = if ($fleet.Port -eq 22) { $d.Address } else { "[$($d.Address)]:$($fleet.Port)" }
            $found = & ssh-keygen -F $name -f (Join-Path $work known_hosts)
            $LASTEXITCODE | Should -Be 0 -Because "$name should be recorded"
            $key = (Get-Content (Join-Path $d.Dir 'root/etc/ssh/ssh_host_ed25519_key.pub') -Raw).Trim().Split(' ')[1]
            ($found -join "`n") | Should -Match ([regex]::Escape($key))
        }
    }

    It 'step 3 probes board model, RAM and OS' {
        $step = [regex]::Match($readme, '3\. Look: `([^`]+)`').Groups[1].Value
        $step | Should -Be 'Get-EdgeDevice -Inventory fleet.yaml -Probe'
        $r = Invoke-Edgeops $step
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Lines | Where-Object { $_ -match '^pi4-00\s.*Raspberry Pi 4' } | Should -HaveCount 1 -Because $r.Output
        $r.Lines | Where-Object { $_ -match '^pi5-01\s.*Raspberry Pi 5' } | Should -HaveCount 1
        $r.Lines | Where-Object { $_ -match '^jetson-02\s.*NVIDIA Jetson' } | Should -HaveCount 1
    }
}

Describe 'README pipelines end to end, with the real Export-Csv' -Skip:(-not $fleetAvailable) {
    It 'the Measure pipeline benchmarks FP32 and INT8 on every device into ./bench.csv, and Import-Csv feeds the report' {
        $measure = [regex]::Match($readme, '(?m)^Get-EdgeDevice -Inventory \./fleet\.yaml \| Invoke-EdgeBenchmark .*\| Export-Csv \./bench\.csv$').Value
        $measure | Should -Not -BeNullOrEmpty
        $r = Invoke-Edgeops $measure
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $rows = Import-Csv (Join-Path $work bench.csv)
        $rows | Should -HaveCount 6
        foreach ($d in $fleet.Devices) {
            ($rows | Where-Object ComputerName -eq $d.Name).Precision | Sort-Object | Should -Be @('FP32', 'INT8')
        }
        $rows | ForEach-Object { [double]::Parse($_.MedianMs, [cultureinfo]::InvariantCulture) | Should -BeGreaterThan 0 }
        # Export-EdgeBenchmarkReport example 2, second line: the CSV back into objects, into the report
        $report = (Get-Example 'Export-EdgeBenchmarkReport example 2') -split "`n" | Where-Object { $_ -like 'Import-Csv*' }
        $report | Should -Be "Import-Csv ./bench.csv | Export-EdgeBenchmarkReport -Path ./bench.html -Title 'Food-11 on the fleet' -PassThru"
        $r = Invoke-Edgeops $report
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $html = Get-Content (Join-Path $work bench.html) -Raw
        $html | Should -Match 'Food-11 on the fleet'
        foreach ($d in $fleet.Devices) { $html | Should -Match ([regex]::Escape($d.Name)) }
    }
}

Describe 'Import-Csv round trips (rows.csv into a cmdlet), each in a fresh process' -Skip:(-not $fleetAvailable) {
    BeforeAll {
        $r = Invoke-Edgeops 'Get-EdgeDevice -Inventory ./fleet.yaml | Export-Csv ./devices.csv'
        $exported = $r
        $names = @($fleet.Devices | ForEach-Object Name)
    }

    It 'Get-EdgeDevice | Export-Csv writes every device with its connection columns' {
        $exported.ExitCode | Should -Be 0 -Because $exported.Errors
        $rows = Import-Csv (Join-Path $work devices.csv)
        $rows.ComputerName | Should -Be $names
        $rows.HostName | Should -Be @($fleet.Devices | ForEach-Object Address)
        $rows | ForEach-Object { $_.Port | Should -Be "$($fleet.Port)"; $_.IdentityFile | Should -Be $fleet.IdentityFile }
    }

    It 'Import-Csv ./devices.csv | Test-EdgeDevice reaches every device, sudo with a password included' {
        $r = Invoke-Edgeops 'Import-Csv ./devices.csv | Test-EdgeDevice -SudoCredential (Get-Credential) | Export-Csv ./status.csv'
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $status = Import-Csv (Join-Path $work status.csv)
        $status.ComputerName | Sort-Object | Should -Be ($names | Sort-Object)
        $status | ForEach-Object { $_.Authenticated | Should -Be 'True'; $_.Sudo | Should -Be 'Ok' }
    }

    It 'Import-Csv ./devices.csv | Invoke-EdgeCommand runs on each device (hostile text survives)' {
        $r = Invoke-Edgeops "Import-Csv ./devices.csv | Invoke-EdgeCommand -Command 'printf ''%s|%s\n'' `"`$(cat /etc/hostname)`" ''a;b `$(x)''' | ForEach-Object Stdout"
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Lines | Sort-Object | Should -Be ($names | Sort-Object | ForEach-Object { "$_|a;b `$(x)" })
    }

    It 'Import-Csv ./devices.csv | Get-EdgeBuildPlan plans from each device''s own RAM' {
        $r = Invoke-Edgeops 'Import-Csv ./devices.csv | Get-EdgeBuildPlan -Profile pytorch -SudoCredential (Get-Credential) | Export-Csv ./plan.csv'
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $plan = Import-Csv (Join-Path $work plan.csv)
        $plan.ComputerName | Sort-Object | Should -Be ($names | Sort-Object)
        $plan | ForEach-Object { [int]$_.MaxJobs | Should -BeGreaterOrEqual 1 }
        # the 8 GB Pi 5 gets more jobs than the 4 GB Pi 4
        [int]($plan | Where-Object ComputerName -eq 'pi5-01').MaxJobs | Should -BeGreaterThan ([int]($plan | Where-Object ComputerName -eq 'pi4-00').MaxJobs)
    }
}

Describe 'Help examples that run here: <Name>' -ForEach $runnable -Skip:(-not $fleetAvailable) {
    It 'runs as written, without errors' {
        $code = Get-Example $Name
        $code | Should -Not -BeNullOrEmpty
        $r = Invoke-Edgeops $code -SudoDefault:([bool]$SudoDefault)
        $r.ExitCode | Should -Be 0 -Because "$code`n$($r.Errors)"
        if ($Empty) { $r.Lines | Should -BeNullOrEmpty -Because $code }
        elseif (-not $MaybeEmpty) { $r.Lines | Should -Not -BeNullOrEmpty -Because $code }
        if ($Expect) { $r.Output | Should -Match ([regex]::Escape($Expect)) }
        if ($File) { Join-Path $work $File | Should -Exist }
    }
}

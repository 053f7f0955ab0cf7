<#
.SYNOPSIS
    Build dist\TillBook.exe: a fresh virtual environment with the pinned dependencies, the
    tests, PyInstaller (app.spec), the executable's own self-test, and its SHA-256.

.DESCRIPTION
    Run from anywhere, in Windows PowerShell 5.1 or PowerShell 7:

        powershell -NoProfile -ExecutionPolicy Bypass -File .\build.ps1

    Needs 64-bit Python 3.11 (the "py" launcher, or python.exe on PATH, or -Python).
    Stops at the first failure: every native command's exit code is checked.

.PARAMETER Python
    The interpreter that creates .venv (default: "py -3.11" if the launcher exists, else
    "python").

.PARAMETER Clean
    Delete .venv, build\ and dist\ first, so nothing from an earlier build can leak in.

.PARAMETER SkipTests
    Skip the test suite (for a quick local rebuild only; never for a release).
#>
[CmdletBinding()]
param(
    [string]$Python = '',
    [switch]$Clean,
    [switch]$SkipTests
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Root = $PSScriptRoot
Set-Location -LiteralPath $Root

# UTF-8 for Python's own I/O, so test output with the rupee sign never hits a cp1252 pipe.
$env:PYTHONUTF8 = '1'
$env:PIP_DISABLE_PIP_VERSION_CHECK = '1'
# The build must not pick up a data dir or database of the developer's shell.
Remove-Item Env:TILLBOOK_DATA_DIR, Env:DATABASE_URL -ErrorAction SilentlyContinue

function Invoke-Native {
    <# Run a native command; throw if it exits non-zero. #>
    param(
        [Parameter(Mandatory = $true)][string]$FilePath,
        [string[]]$Arguments = @()
    )
    Write-Host ">> $FilePath $($Arguments -join ' ')" -ForegroundColor Cyan
    # Windows PowerShell 5.1 turns a native command's stderr lines into error records, and
    # with 'Stop' the first one (pip's notices, PyInstaller's INFO log) would abort the build.
    # Success is the exit code, checked right after.
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        & $FilePath @Arguments
        $code = $LASTEXITCODE
    }
    finally {
        $ErrorActionPreference = $saved
    }
    if ($code -ne 0) {
        throw "Command failed with exit code ${code}: $FilePath $($Arguments -join ' ')"
    }
}

function Step([string]$Message) {
    Write-Host ''
    Write-Host "== $Message" -ForegroundColor Green
}

$Venv = Join-Path $Root '.venv'
$VenvPython = Join-Path $Venv 'Scripts\python.exe'
$Dist = Join-Path $Root 'dist'
$Exe = Join-Path $Dist 'TillBook.exe'

if ($Clean) {
    Step 'Removing .venv, build\ and dist\'
    foreach ($dir in @($Venv, (Join-Path $Root 'build'), $Dist)) {
        if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    }
}

if (-not (Test-Path -LiteralPath $VenvPython)) {
    Step 'Creating .venv'
    if ($Python) {
        Invoke-Native $Python @('-m', 'venv', $Venv)
    }
    elseif (Get-Command py -ErrorAction SilentlyContinue) {
        Invoke-Native 'py' @('-3.11', '-m', 'venv', $Venv)
    }
    else {
        Invoke-Native 'python' @('-m', 'venv', $Venv)
    }
}

Step 'Checking the interpreter'
# No double quotes inside native arguments: Windows PowerShell 5.1 does not escape them.
$CheckPython = (
    'import struct, sys; print(sys.version); ' +
    'sys.exit(0 if sys.version_info[:2] == (3, 11) and struct.calcsize(''P'') == 8 else ' +
    '''TillBook is built with 64-bit Python 3.11: run with -Clean -Python <path to it>'')'
)
Invoke-Native $VenvPython @('-c', $CheckPython)

Step 'Installing the pinned dependencies'
Invoke-Native $VenvPython @(
    '-m', 'pip', 'install', '--no-input', '--require-virtualenv',
    '-r', 'requirements.txt', '-r', 'requirements-dev.txt', '-r', 'requirements-windows.txt'
)
Invoke-Native $VenvPython @('-m', 'pip', 'check')

if ($SkipTests) {
    Write-Warning 'Tests skipped (-SkipTests): do not ship this build.'
}
else {
    Step 'Running the tests (browser and packaging tests excluded)'
    Invoke-Native $VenvPython @('-m', 'pytest', '-m', 'not e2e and not packaging', '-q')
}

Step 'Building dist\TillBook.exe with PyInstaller'
Invoke-Native $VenvPython @('-m', 'PyInstaller', '--noconfirm', '--clean', 'app.spec')
if (-not (Test-Path -LiteralPath $Exe)) { throw "PyInstaller reported success but $Exe is missing" }

Step 'Self-test: TillBook.exe opens its window, renders a PDF, lists printers, backs up, checks'
# TillBook.exe is a console program (it hides only a console of its own, from Explorer), so it
# runs here like in cmd: each step prints "selftest: <step>: ok|FAILED: ...|skipped: ...", and
# any failure exits 1. The data dir is a fresh temporary one, never the developer's.
$SelftestDir = Join-Path ([System.IO.Path]::GetTempPath()) ('tillbook-selftest-' + [guid]::NewGuid())
$saved = $ErrorActionPreference
$ErrorActionPreference = 'Continue'  # its stderr lines are not errors (see Invoke-Native)
try {
    & $Exe @('selftest', '--data-dir', $SelftestDir)
    $code = $LASTEXITCODE
}
finally {
    $ErrorActionPreference = $saved
}
if ($code -ne 0) {
    Write-Host "Self-test data dir kept for inspection: $SelftestDir" -ForegroundColor Yellow
    throw "TillBook.exe selftest exited with $code (see the FAILED lines above)"
}
# Short commands log to logs\cli.log; the app and `serve` keep logs\tillbook.log to themselves.
if (-not (Test-Path -LiteralPath (Join-Path $SelftestDir 'logs\cli.log'))) {
    throw "TillBook.exe selftest wrote no log file in $SelftestDir\logs"
}
Remove-Item -LiteralPath $SelftestDir -Recurse -Force

Step 'Writing dist\TillBook.exe.sha256'
$Hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $Exe).Hash.ToLowerInvariant()
# sha256sum's format ("<hash>  <name>"), ASCII without a BOM in PS 5.1 and 7 alike.
[System.IO.File]::WriteAllText("$Exe.sha256", "$Hash  TillBook.exe`n", [System.Text.Encoding]::ASCII)

$SizeMB = [math]::Round((Get-Item -LiteralPath $Exe).Length / 1MB, 1)
Step "Done: $Exe ($SizeMB MB)"
Write-Host "SHA-256 $Hash"

#!/usr/bin/perl
# Restore-SdCard: writes ranges to a card from stdin (see DeviceScripts.Writer). Argument: device.
use strict; use IO::Handle;
my ($dev) = @ARGV;
open(my $out, '+<', $dev) or die "cannot open $dev for writing: $!\n";
binmode $out; binmode STDIN;
my $zero = "\0" x 1048576; my $ended = 0;
sub put { my ($d) = @_; my $len = length $d; my $off = 0;
  while ($off < $len) { my $w = syswrite($out, $d, $len - $off, $off); die "write failed: $!\n" unless defined $w; $off += $w; } }
while (defined(my $l = <STDIN>)) {
  chomp $l;
  my ($op, $o, $n) = split / /, $l;
  if ($op eq 'E') { $ended = 1; last; }
  sysseek($out, $o, 0) or die "cannot seek to $o: $!\n";
  while ($n > 0) {
    my $k = $n > 1048576 ? 1048576 : $n; my $buf;
    if ($op eq 'W') { my $got = read(STDIN, $buf, $k); die "the image stream ended early\n" unless $got; $k = $got; }
    elsif ($op eq 'Z') { $buf = substr($zero, 0, $k); }
    else { die "bad plan line\n"; }
    put($buf); $n -= $k;
  }
}
die "the image stream ended early\n" unless $ended;
$out->sync or die "cannot flush $dev: $!\n";
close($out) or die "cannot close $dev: $!\n";
print "ok\n";

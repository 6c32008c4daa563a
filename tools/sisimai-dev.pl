#!/usr/bin/perl
# Scores Sisimai (Debian's libsisimai-perl, 4.25) on the labeled dev emails, the
# same way `bouncelab eval corpus/emails-dev.tsv` scores bouncelab: one verdict per
# labeled recipient, a recipient Sisimai does not report counts as wrong.
#   apt-get install libsisimai-perl && perl tools/sisimai-dev.pl [corpus/emails-dev.tsv]
# Prints per-record and per-family-mean (family = sample_id up to its number)
# reason and hard/soft accuracy, then the misses with --misses.
use strict;
use warnings;
use File::Basename qw(dirname);
use Sisimai;

my $misses = grep { $_ eq '--misses' } @ARGV;
my ($tsv) = grep { $_ ne '--misses' } @ARGV;
$tsv //= 'corpus/emails-dev.tsv';
my $dir = dirname($tsv) . '/emails-dev';

open(my $fh, '<', $tsv) or die "$tsv: $!\n";
my $header = <$fh>;
my (%seen, %fam, @miss);
my ($n, $found, $reason_ok, $hs_ok) = (0, 0, 0, 0);
while (my $line = <$fh>) {
    chomp $line;
    my ($id, $file, $rcpt, $want, $want_hs) = split /\t/, $line;
    next unless defined $want_hs;
    $seen{$file} //= eval { Sisimai->make("$dir/$file") } || [];
    my ($got) = grep { lc $_->recipient->address eq lc $rcpt } @{ $seen{$file} };
    (my $family = $id) =~ s/-\d+#\d+$//;
    $fam{$family}{n}++;
    $n++;
    my ($reason, $hs) = ('(not reported)', '-');
    if ($got) {
        $found++;
        $reason = $got->reason;
        $hs = $got->softbounce == 1 ? 'soft' : $got->softbounce == 0 ? 'hard' : '-';
    }
    if ($reason eq $want) { $reason_ok++; $fam{$family}{ok}++ } else { push @miss, "$id\t$want\t$reason" }
    if ($hs eq $want_hs) { $hs_ok++; $fam{$family}{hs}++ }
}
die "no labeled recipients in $tsv\n" unless $n;
my ($fr, $fh_) = (0, 0);
for my $f (values %fam) { $fr += ($f->{ok} // 0) / $f->{n}; $fh_ += ($f->{hs} // 0) / $f->{n} }
my $k = scalar keys %fam;
printf "Sisimai %s on %d labeled recipients (%d reported): reason %.1f %%, hard/soft %.1f %%\n",
    $Sisimai::VERSION, $n, $found, 100 * $reason_ok / $n, 100 * $hs_ok / $n;
printf "mean over %d MTA families: reason %.1f %%, hard/soft %.1f %%\n", $k, 100 * $fr / $k, 100 * $fh_ / $k;
print "misses (sample, expected, Sisimai):\n", map { "  $_\n" } @miss if $misses;

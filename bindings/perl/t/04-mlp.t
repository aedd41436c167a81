# The seed-MLP parity test: the same 20 SGD steps as Python
# (tests/vectors/make_mlp_reference.py), from the same .params files, with
# this binding's load/save, generated ops and autograd. Losses must equal
# Python's to 1e-5; the trained weights are saved for Python to check
# (to $MXCORE_MLP_OUT/trained-perl.params when set).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use AI::MXCore qw(mx);

my $dir = $ENV{MXCORE_MLP_DIR} // '../../tests/vectors/mlp';
plan skip_all => "MLP reference not found in $dir (run tests/vectors/make_mlp_reference.py or set MXCORE_MLP_DIR)"
    unless -f "$dir/losses.json";
my $ref = decode_json(do { local (@ARGV, $/) = "$dir/losses.json"; <> });
my $data = mx->nd->load("$dir/data.params");
my $p = mx->nd->load("$dir/init.params");
my @names = qw(fc1_weight fc1_bias fc2_weight fc2_bias);
is_deeply($data->{X}->shape, [64, 784], 'data shape');
is_deeply($p->{fc1_weight}->shape, [100, 784], 'fc1 shape');

mx->autograd->mark_variables([@{$p}{@names}]);
my $n = $ref->{batch};
my @losses;
for my $step (1 .. $ref->{steps}) {
    my $loss = mx->autograd->record(sub {
        my $h = mx->nd->FullyConnected($data->{X}, $p->{fc1_weight}, $p->{fc1_bias}, num_hidden => 100);
        my $a = mx->nd->Activation($h, act_type => 'relu');
        my $o = mx->nd->FullyConnected($a, $p->{fc2_weight}, $p->{fc2_bias}, num_hidden => 10);
        mx->nd->softmax_cross_entropy($o, $data->{y});
    });
    mx->autograd->backward($loss);
    push @losses, $loss->_host_list->[0] / $n;
    mx->nd->sgd_update($p->{$_}, $p->{$_}->grad, lr => $ref->{lr}, rescale_grad => 1 / $n, out => $p->{$_}) for @names;
}
is(scalar @losses, scalar @{ $ref->{losses} }, 'step count');
my ($worst) = sort { $b <=> $a } map { abs($losses[$_] - $ref->{losses}[$_]) } 0 .. $#losses;
cmp_ok($worst, '<', 1e-5, 'losses equal Python\'s to 1e-5') or diag("perl: @losses\npython: @{ $ref->{losses} }");

my $out = $ENV{MXCORE_MLP_OUT} ? "$ENV{MXCORE_MLP_OUT}/trained-perl.params" : tempdir(CLEANUP => 1) . '/trained.params';
mx->nd->save($out, { map { $_ => $p->{$_} } @names });
my $back = mx->nd->load($out);
is_deeply([sort keys %$back], [sort @names], 'saved names');
is_deeply($back->{fc2_bias}->_host_list, $p->{fc2_bias}->_host_list, 'saved values');
done_testing;

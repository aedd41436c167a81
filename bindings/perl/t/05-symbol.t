# MXNet 1.9.1 model files (tests/data/mxnet_ref: exported by MXNet with its
# input x and its output y) load and predict MXNet's output through the
# core's graph executor; bad input croaks naming what is wrong.
use strict;
use warnings;
use Test::More;
use AI::MXCore qw(mx);

sub max_abs_diff {
    my ($a, $b) = @_;
    my @x = map { ref $_ ? flat($_) : $_ } @$a;
    my @y = map { ref $_ ? flat($_) : $_ } @$b;
    return 9**9**9 unless @x == @y;
    my $m = 0;
    for my $i (0 .. $#x) { my $d = abs($x[$i] - $y[$i]); $m = $d if $d > $m }
    return $m;
}
sub flat { my $r = shift; map { ref $_ ? flat($_) : $_ } @$r }

my $dir = $ENV{MXCORE_MXNET_REF} // '../../tests/data/mxnet_ref';
SKIP: {
    skip "MXNet reference models not found in $dir (set MXCORE_MXNET_REF)", 7 unless -f "$dir/cnn_bn-symbol.json";
    for my $m (qw(mlp cnn_bn)) {
        my ($sym, $arg, $aux) = mx->model->load_checkpoint("$dir/$m", 0);
        my $io = mx->nd->load("$dir/$m-io.params");
        my $out = $sym->run({ %$arg, data => $io->{x} }, $aux);
        is(scalar @$out, 1, "$m: one output");
        is_deeply($out->[0]->shape, $io->{y}->shape, "$m: output shape");
        cmp_ok(max_abs_diff($out->[0]->aslist, $io->{y}->aslist), '<', 1e-4, "$m: MXNet's output to 1e-4");
    }
    my ($sym) = mx->model->load_checkpoint("$dir/cnn_bn", 0);
    is_deeply($sym->list_auxiliary_states,
              [qw(batchnorm0_running_mean batchnorm0_running_var batchnorm1_running_mean batchnorm1_running_var)],
              'aux states in MXNet order');
}

my $s = mx->sym->load_json('{"nodes":[{"op":"null","name":"x","inputs":[]},'
    . '{"op":"null","name":"w","inputs":[]},'
    . '{"op":"elemwise_mul","name":"m","inputs":[[0,0,0],[1,0,0]]},'
    . '{"op":"relu","name":"r","inputs":[[2,0,0]]}],"arg_nodes":[0,1],"heads":[[3,0,0]]}');
is_deeply($s->list_arguments, [qw(x w)], 'arguments');
is_deeply($s->list_outputs, ['r_output'], 'outputs');
my $r = $s->run({ w => mx->nd->array([2, 2, -1]), x => mx->nd->array([-1, 3, -4]) });
is_deeply($r->[0]->aslist, [0, 6, 4], 'relu(x * w)');
like($s->tojson, qr/elemwise_mul/, 'tojson');
eval { $s->run({ x => mx->nd->array([1]) }) };
like($@, qr/no value for argument 'w'/, 'missing argument named');
eval { $s->run({ x => mx->nd->array([1, 2]), w => mx->nd->array([1, 2, 3]) }) };
like($@, qr/node 'm'.*\(2,\) and \(3,\)/, 'shape conflict names the node and shapes');
eval { $s->run({ x => [1, 2, 3], w => mx->nd->array([1, 2, 3]) }) };
like($@, qr/argument 'x' must be an AI::MXCore::NDArray, got ARRAY/, 'a non-NDArray argument is a clear error');
eval { mx->sym->load_json('{"nodes":[{"op":"NoSuchOp","name":"bad1","inputs":[]}],"heads":[[0,0,0]]}') };
like($@, qr/bad1.*NoSuchOp|NoSuchOp.*bad1/, 'unknown op names the node');
$s->dispose;
eval { $s->list_outputs };
like($@, qr/disposed/, 'use after dispose is an error');

done_testing();

use strict;
use warnings;
use Test::More;
use JSON::PP;
use AI::MXCore qw(mx);

my $manifest = decode_json(mx->registry_json);
my @public = sort map { $_->{name} } grep { $_->{public} } @{ $manifest->{ops} };

is_deeply([sort @AI::MXCore::ND::GENERATED_OPS], \@public, 'generated ops == manifest public ops');
ok(AI::MXCore::ND->can($_), "mx->nd->$_ exists") for @public;

# errors carry the core's message
my $x = mx->nd->array([[1, 2, 3], [4, 5, 6]]);
eval { mx->nd->elemwise_add($x, mx->nd->array([1, 2])) };
like($@, qr/elemwise_add.*same shape/, 'shape mismatch croaks with the core message');
like($@, qr/02-ops\.t/, 'error reported at the caller');
eval { mx->nd->invoke('no_such_op', [$x], []) };
like($@, qr/unknown op 'no_such_op'/, 'unknown op');
eval { mx->nd->elemwise_add($x, $x, bogus => 1) };
like($@, qr/unknown argument.*bogus/, 'unknown attribute');

# autograd: d/dx sum(x*x) = 2x
my $v = mx->nd->array([1, -2, 3.5], dtype => 'float64');
mx->autograd->mark_variables($v);
my $y = mx->autograd->record(sub { mx->nd->elemwise_mul($v, $v) });
mx->autograd->backward($y);
is_deeply($v->grad->aslist, [2, -4, 7], 'gradient 2x');

mx->random->seed(42);
pass('random seed');

SKIP: {
    my $f = "/tmp/mxcore-perl-$$.params";
    eval { mx->nd->save($f, { w => $x }) };
    skip "mx_save not in this core yet", 2 if $@ =~ /not available/;
    my $l = mx->nd->load($f);
    is_deeply([keys %$l], ['w'], 'load names');
    is_deeply($l->{w}->aslist, $x->aslist, 'load data');
    unlink $f;
}

# shared numpy vectors
my $vpath = $ENV{MXCORE_VECTORS} // '../../tests/vectors/vectors.json';
SKIP: {
    skip "no vectors at $vpath", 1 unless -f $vpath;
    my $vec = decode_json(do { local (@ARGV, $/) = $vpath; <> });
    my %have = map { $_ => 1 } @public;
    my $ran = 0;
    for my $c (@{ $vec->{cases} }) {
        next unless $have{ $c->{op} };
        my @in = map { mx->nd->array($_->{data}, shape => $_->{shape}, dtype => $_->{dtype}) } @{ $c->{inputs} };
        my $m = $c->{op};
        my @out = mx->nd->$m(@in, %{ $c->{attrs} });
        for my $k (0 .. $#{ $c->{outputs} }) {
            my $e = $c->{outputs}[$k];
            is_deeply($out[$k]->shape, $e->{shape}, "$m shape");
            is($out[$k]->dtype, $e->{dtype}, "$m dtype");
            my $got = $out[$k]->_host_list;
            my $bad = grep { abs($got->[$_] - $e->{data}[$_]) > $c->{atol} + $c->{rtol} * abs($e->{data}[$_]) }
                0 .. $#{ $e->{data} };
            is($bad, 0, "$m values");
        }
        $ran++;
    }
    cmp_ok($ran, '>', 3, "$ran vector cases ran");
}
done_testing;

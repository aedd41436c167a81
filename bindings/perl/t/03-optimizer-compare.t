# Optimizer update ops against hand-computed MXNet 1.x updates, and the six
# comparison operators (generated methods, overloaded operators, scalars).
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Scalar::Util qw(refaddr);
use AI::MXCore qw(mx);

my %have = map { $_->{name} => 1 } grep { $_->{public} } @{ decode_json(mx->registry_json)->{ops} };
sub close_to {
    my ($got, $want, $tol, $name) = @_;
    my @g = @{ $got->_host_list };
    my $bad = @g != @$want ? 1 : grep { abs($g[$_] - $want->[$_]) > $tol } 0 .. $#g;
    ok(!$bad, $name) or diag("got [@g], want [@$want]");
}
sub f64 { mx->nd->array($_[0], dtype => 'float64') }

SKIP: {
    skip 'sgd_mom_update not in this core', 3 unless $have{sgd_mom_update};
    my ($w, $g, $mom) = (f64([1, 2, -3, 0.5]), f64([0.5, -1, 2, 0]), f64([0.1, 0, -0.2, 0.3]));
    # g' = 0.5 g + 0.01 w = (0.26, -0.48, 0.97, 0.005); mom = 0.9 mom - 0.1 g'; w += mom
    my $r = mx->nd->sgd_mom_update($w, $g, $mom, lr => 0.1, momentum => 0.9, wd => 0.01, rescale_grad => 0.5, out => $w);
    ok(refaddr($r) == refaddr($w), 'sgd_mom_update out => returns the out array');
    close_to($mom, [0.064, 0.048, -0.277, 0.2695], 1e-12, 'sgd_mom_update momentum in place');
    close_to($w, [1.064, 2.048, -3.277, 0.7695], 1e-12, 'sgd_mom_update weight');
}

SKIP: {
    skip 'sgd_update not in this core', 3 unless $have{sgd_update};
    my ($w, $g) = (f64([1, -1, 2]), f64([4, -0.5, -9]));
    # clip(2 g, 3) + 0.1 w = (3.1, -1.1, -2.8); w - 0.5 * that
    my @want = (-0.55, -0.45, 3.4);
    my $new = mx->nd->sgd_update($w, $g, lr => 0.5, wd => 0.1, rescale_grad => 2, clip_gradient => 3);
    close_to($new, \@want, 1e-12, 'sgd_update with clipping');
    close_to($w, [1, -1, 2], 0, 'sgd_update without out leaves the weight');
    mx->nd->sgd_update($w, $g, lr => 0.5, wd => 0.1, rescale_grad => 2, clip_gradient => 3, out => $w);
    close_to($w, \@want, 1e-12, 'sgd_update out => in place');
}

SKIP: {
    skip 'adam_update not in this core', 3 unless $have{adam_update};
    my @w0 = (1, 2, -3, 0.5);
    my ($w, $g, $m, $v) = (f64(\@w0), f64([0.5, -1, 2, 0]), f64([0.1, 0.2, 0, -0.1]), f64([0.01, 0.04, 0, 0.02]));
    mx->nd->adam_update($w, $g, $m, $v, lr => 0.01, beta1 => 0.9, beta2 => 0.99, epsilon => 1e-8, wd => 0.1,
                        rescale_grad => 2, clip_gradient => 1.5, out => $w);
    # g' = clip(2 g + 0.1 w, 1.5) = (1.1, -1.5, 1.5, 0.05)
    my @m1 = (0.2, 0.03, 0.15, -0.085);
    my @v1 = (0.022, 0.0621, 0.0225, 0.019825);
    close_to($m, \@m1, 1e-12, 'adam_update mean in place');
    close_to($v, \@v1, 1e-12, 'adam_update var in place');
    close_to($w, [map { $w0[$_] - 0.01 * $m1[$_] / (sqrt($v1[$_]) + 1e-8) } 0 .. 3], 1e-12, 'adam_update weight');
}

{
    my @av = (1, 2, 3, 4, 5, 6);
    my @bv = (2, 2, 7);
    my $a = mx->nd->array([[1, 2, 3], [4, 5, 6]]);
    my $b = mx->nd->array([[2, 2, 7]]);
    my %cases = (
        broadcast_equal => [sub { $_[0] == $_[1] }, sub { $_[0] == $_[1] }],
        broadcast_not_equal => [sub { $_[0] != $_[1] }, sub { $_[0] != $_[1] }],
        broadcast_greater => [sub { $_[0] > $_[1] }, sub { $_[0] > $_[1] }],
        broadcast_greater_equal => [sub { $_[0] >= $_[1] }, sub { $_[0] >= $_[1] }],
        broadcast_lesser => [sub { $_[0] < $_[1] }, sub { $_[0] < $_[1] }],
        broadcast_lesser_equal => [sub { $_[0] <= $_[1] }, sub { $_[0] <= $_[1] }],
    );
    for my $op (sort keys %cases) {
        my ($nd_op, $num_op) = @{ $cases{$op} };
        my @want = map { $num_op->($av[$_], $bv[$_ % 3]) ? 1 : 0 } 0 .. 5;
        my @want_s = map { $num_op->($_, 2) ? 1 : 0 } @av;
        my $r = mx->nd->$op($a, $b);
        is($r->dtype, 'float32', "$op dtype");
        is_deeply($r->shape, [2, 3], "$op broadcast shape");
        is_deeply($r->_host_list, \@want, "$op values");
        is_deeply($nd_op->($a, $b)->_host_list, \@want, "$op operator");
        is_deeply($nd_op->($a, 2)->_host_list, \@want_s, "$op scalar");
    }
    my $i = mx->nd->array([1, 5, -3], dtype => 'int32');
    my $r = $i > mx->nd->array([0, 5, -4], dtype => 'int32');
    is($r->dtype, 'int32', 'int32 comparison keeps the dtype');
    is_deeply($r->aslist, [1, 0, 1], 'int32 comparison values');
    is_deeply((2 < $a)->_host_list, [0, 0, 1, 1, 1, 1], 'swapped scalar comparison');
}

done_testing;

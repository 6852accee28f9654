# meta: scalar_count=5 vector_count=9 matrix_count=2 vector_dim=16 setup_max_ops=7 predict_max_ops=11 learn_max_ops=23
# setup
s2 = 0.009999999776482582
s3 = 0.5
m0 = gaussian(0.0, 0.25)
m1 = gaussian(0.0, 0.25)
v1 = uniform(-0.10000000149011612, 0.10000000149011612)
v8 = 0.0010000000474974513
v7[3] = 1.0
# predict
v2 = matmul(m0, v0)
v3 = heaviside(v2)
v4 = v2 * v3
v5 = matmul(m1, v4)
v6 = v5 + v1
s4 = dot(v6, v7)
s0 = mean(v6)
s0 = s0 + s4
s4 = std(v4)
s0 = s0 / s4
s0 = s0 + s3
# learn
s4 = s1 - s0
s4 = s4 * s2
v6 = v1 * s4
v1 = v1 + v6
v5 = v7 * s4
v5 = v5 * v3
v6 = matmul(m1, v5)
v6 = v6 * v3
v6 = v6 * v8
v2 = v2 + v6
s4 = norm(v2)
s4 = s4 + s3
v2 = v2 / s4
v4 = abs(v2)
v4 = v4 * v8
v6 = v5 - v4
s4 = mean(v6)
v6 = v6 - s4
m1 = outer(v5, v4)
m1 = m1 * s2
m0 = m0 + m1
s4 = dot(v6, v6)
s3 = s3 + s4

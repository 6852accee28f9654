# meta: scalar_count=4 vector_count=3 matrix_count=1 vector_dim=4 setup_max_ops=10 predict_max_ops=2 learn_max_ops=8
# setup
s2 = 0.009999999776482582
s3 = 0.5
v1 = gaussian(0.0, 0.10000000149011612)
v2 = uniform(0.0, 1.0)
m0 = gaussian(0.0, 0.20000000298023224)
v1[0] = 0.5
s3 = s3 * s2
v2 = v2 + v1
s3 = abs(s3)
m0 = m0 * s3
# predict
v2 = matmul(m0, v0)
s0 = dot(v2, v1)
# learn
s3 = s1 - s0
s3 = s3 * s2
v2 = s3 * v0
v1 = v1 + v2
s3 = norm(v1)
s3 = s3 + s2
v1 = v1 / s3
s2 = s2 * s3

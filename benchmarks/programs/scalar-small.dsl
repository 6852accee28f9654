# meta: scalar_count=2 vector_count=2 matrix_count=2 vector_dim=4 setup_max_ops=2 predict_max_ops=2 learn_max_ops=2
# setup
v1 = gaussian(0.0, 0.10000000149011612)
m0 = uniform(-0.5, 0.5)
# predict
v1 = matmul(m0, v0)
s0 = dot(v1, v0)
# learn
s1 = s1 - s0
m1 = outer(v1, v0)

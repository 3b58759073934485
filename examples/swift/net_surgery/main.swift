// net_surgery: placeholder until the example lands.

throw new Error('fixture module failed to evaluate');

// An unmodified Express app (express from npm): w3 hosts it in-process by loading `module.exports = app`.
'use strict';
const express = require('express');
const app = express();
app.use(express.json());
app.get('/', (_req, res) => res.send('hello from express'));
app.get('/users/:id', (req, res) => res.json({ id: req.params.id, pid: process.pid }));
app.post('/users', (req, res) => res.status(201).json({ created: req.body }));
module.exports = app;

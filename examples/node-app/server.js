// A web process: Express-style routes on $PORT. No Procfile: tug's Node.js buildpack makes
// `npm start` the web process.
import {readFileSync} from 'node:fs'
import express from 'express'
import lib from 'example-lib-01'

const app = express()
app.get('/', (req, res) => res.send(`hello from node-app (${lib.name}: ${lib.load(0).f1(2)}); ${readFileSync('public/built.txt', 'utf8')}`))
app.get('/healthz', (req, res) => res.send('ok'))
app.listen(Number(process.env.PORT || 5000), () => console.log(`node-app listening on ${process.env.PORT || 5000}`))

<ColorCorrection>
<SOPNode>
<Slope>1.2 1 1</Slope>
<Power>1.25 1 1</Power>
</SOPNode>
</ColorCorrection>
